// The OS sandbox everything a lane executes runs in (Linux only): agent bash, every
// acceptance command, merge-candidate tests, and later external agent processes.
//
// A private mount namespace in which every mount is read-only (unless the plan says
// otherwise), hidden paths are covered by empty read-only tmpfs (files by /dev/null), the
// paths the plan keeps are bound back on top (writable or read-only), then all capabilities
// are dropped so the command cannot remount its way out. The mounts are made by two
// util-linux `mount` processes, not one per mount (mount-table.ts). A private network
// namespace gives no network (loopback down) or a private loopback; a private PID namespace
// (when the host allows it) makes a kill of the sandbox take every process inside with it and
// hides the worker's /proc (its environment).
//
// Hand-written on util-linux `unshare`, `mount`, `setpriv` (and iproute2 `ip` for a
// loopback) rather than bubblewrap: bwrap is the better-kept tool, but it is not installed
// on mainstream hosts by default (Debian 12 ships it as an optional package; it is absent
// on our CI machines), while util-linux is part of every base system. bwrap also always
// brings the loopback up in a new network namespace, so `network: none` could not mean "no
// sockets at all". Where namespaces or a tool are missing the probe says why and the
// sandbox refuses (fail closed) rather than run unconfined.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProcessGroup } from '../shell/process-group.js';
import { fstabText, mountSteps, readHostMounts } from './mount-table.js';
import type { SandboxPlan } from './plan.js';

/** Exit status the setup script uses when the sandbox could not be built. */
export const SANDBOX_SETUP_EXIT = 125;
const SETUP_MARK = 'lanes-sandbox: setup failed';

// $1 network, $2 "ro" to make every mount read-only first, $3 stage dir, $4 shell, $5 command,
// $6 cwd, then the steps of mount-table.ts in order:
//   table <file>                          mount -a of an fstab (relative sources are stage entries)
//   mount <source> <target> <type> <opts> one mount(8) call
//   create <path>                         an empty file (and its folder) as a mount point
// Only `ip` (loopback) and `mount` run as processes; `mkdir` only for a kept file's missing folder.
const SETUP_SCRIPT = `
fail() { echo "${SETUP_MARK}: $1" >&2; exit ${SANDBOX_SETUP_EXIT}; }
net=$1; ro=$2; stage=$3; sh=$4; cmd=$5; cwd=$6; shift 6
if [ "$net" = loopback ]; then ip link set lo up || fail "bring up a private loopback (needs ip from iproute2)"; fi
if [ "$ro" = ro ]; then mount -n -a -o remount,bind,ro || fail "make every mount read-only"; fi
cd "$stage" || fail "cd $stage"
while [ $# -gt 0 ]; do case $1 in
  table) mount -n -c -a --fstab "$2" || fail "mount table $2"; shift 2;;
  mount) mount -n -c -t "$4" -o "$5" "$2" "$3" || fail "mount $3"; shift 5;;
  create) d=\${2%/*}; [ -e "$2" ] || { [ -d "\${d:-/}" ] || mkdir -p "$d"; : > "$2"; } || fail "create $2"; shift 2;;
  *) fail "unknown step $1";;
esac; done
cd "$cwd" || fail "cd $cwd"
exec setpriv --no-new-privs --inh-caps=-all --bounding-set=-all "$sh" -c "$cmd"
`;

/** The shell commands run in: bash when installed, else POSIX sh. */
export const SHELL_PATH = existsSync('/bin/bash') ? '/bin/bash' : '/bin/sh';

interface Variant {
  name: string;
  pidNamespace: boolean;
}
const VARIANTS: Variant[] = [
  { name: 'mount+pid+net namespaces', pidNamespace: true },
  { name: 'mount+net namespaces', pidNamespace: false },
];

function unshareArgs(v: Variant, network: SandboxPlan['network']): string[] {
  const args: string[] = [];
  // Without root, a user namespace grants the mount rights inside the sandbox only.
  if (process.getuid?.() !== 0) args.push('--user', '--map-root-user');
  args.push('--mount', '--propagation', 'private');
  if (network !== 'host') args.push('--net');
  // The private /proc is mounted by the setup (after every mount is made read-only, so the
  // host's /proc submounts are still reachable then), not by --mount-proc.
  if (v.pidNamespace) args.push('--pid', '--fork', '--kill-child');
  return args;
}

export interface SandboxedCommand {
  file: string;
  args: string[];
}

/** The launcher argv for `command` under `plan`; writes the stage's entries and mount tables. */
function buildCommand(v: Variant, plan: SandboxPlan, stage: string, command: string): SandboxedCommand {
  const { stageEntries, steps } = mountSteps({ plan, stage, ownProc: v.pidNamespace, mounts: readHostMounts() });
  for (const e of stageEntries) {
    if (e.dir) mkdirSync(join(stage, e.name));
    else writeFileSync(join(stage, e.name), '');
  }
  const args: string[] = [];
  let tables = 0;
  for (const step of steps) {
    if (step.kind === 'table') {
      const file = join(stage, `table-${++tables}`);
      writeFileSync(file, fstabText(step.entries));
      args.push('table', file);
    } else if (step.kind === 'mount') args.push('mount', step.entry.source, step.entry.target, step.entry.type, step.entry.options);
    else args.push('create', step.path);
  }
  return {
    file: 'unshare',
    args: [...unshareArgs(v, plan.network), '--', '/bin/sh', '-c', SETUP_SCRIPT, 'lanes-sandbox', plan.network, plan.readOnlyRest ? 'ro' : 'rw', stage, SHELL_PATH, command, plan.cwd, ...args],
  };
}

export type SandboxAvailability = { ok: true; variant: string } | { ok: false; reason: string };

/** What `lanes doctor` reports: each sandbox feature this host supports. */
export interface SandboxFeatures {
  platform: string;
  mountNamespace: boolean;
  pidNamespace: boolean;
  networkNamespace: boolean;
  loopback: boolean;
  /** Why a feature is missing, per variant tried. */
  reasons: string[];
}

interface Probed {
  availability: SandboxAvailability;
  variant?: Variant;
  loopback: boolean;
  loopbackReason?: string;
}
let probed: Promise<Probed> | undefined;

async function probeOnce(v: Variant, network: SandboxPlan['network']): Promise<string | undefined> {
  const root = mkdtempSync(join(tmpdir(), 'lanes-sandbox-probe-'));
  const scratch = mkdtempSync(join(tmpdir(), 'lanes-sandbox-probe-tmp-'));
  const stage = mkdtempSync(join(tmpdir(), 'lanes-sandbox-stage-'));
  const escape = join(scratch, '..', `lanes-sandbox-escape-${process.pid}`);
  try {
    let out = '';
    // The probe proves both halves: the worktree is writable, the rest is not.
    const probeCmd = `echo ok > probe && ! (echo x > "${escape}") 2>/dev/null`;
    const plan: SandboxPlan = {
      cwd: root,
      keep: [
        { path: root, writable: true },
        { path: scratch, writable: true },
      ],
      hide: [],
      network,
      readOnlyRest: true,
      scratch,
    };
    const { file, args } = buildCommand(v, plan, stage, probeCmd);
    const res = await runProcessGroup({ file, args, cwd: root, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, timeoutMs: 10_000, onOutput: (c) => (out += c) });
    rmSync(escape, { force: true });
    if (res.exitCode === 0 && existsSync(join(root, 'probe'))) return undefined;
    return `${v.name}${network === 'loopback' ? ' with loopback' : ''}: exit ${res.exitCode ?? res.signal}${out.trim() ? `: ${out.trim().slice(0, 300)}` : ''}`;
  } catch (err) {
    return `${v.name}: ${(err as Error).message}`;
  } finally {
    for (const d of [root, scratch, stage]) rmSync(d, { recursive: true, force: true });
  }
}

function probe(): Promise<Probed> {
  probed ??= (async () => {
    if (process.platform !== 'linux') {
      return { availability: { ok: false, reason: `the sandbox needs Linux namespaces; this host is ${process.platform}` }, loopback: false };
    }
    const reasons: string[] = [];
    for (const v of VARIANTS) {
      const why = await probeOnce(v, 'none');
      if (why) {
        reasons.push(why);
        continue;
      }
      const loopbackReason = await probeOnce(v, 'loopback');
      return { availability: { ok: true, variant: v.name }, variant: v, loopback: !loopbackReason, loopbackReason };
    }
    return { availability: { ok: false, reason: reasons.join('; ') }, loopback: false };
  })();
  return probed;
}

/** Whether this host can run the sandbox; probed once per process. */
export async function sandboxAvailability(): Promise<SandboxAvailability> {
  return (await probe()).availability;
}

/** The sandbox features this host supports (for `lanes doctor`). */
export async function sandboxFeatures(): Promise<SandboxFeatures> {
  const p = await probe();
  const reasons = p.availability.ok ? (p.loopbackReason ? [p.loopbackReason] : []) : [p.availability.reason];
  return {
    platform: process.platform,
    mountNamespace: p.availability.ok,
    pidNamespace: p.variant?.pidNamespace ?? false,
    networkNamespace: p.availability.ok,
    loopback: p.loopback,
    reasons,
  };
}

/**
 * The argv that runs `command` under `plan`, or a reason it cannot: no sandbox on this
 * host, or the plan asks for a private loopback the host cannot bring up.
 */
export async function sandboxedCommand(plan: SandboxPlan, stage: string, command: string): Promise<SandboxedCommand | { refused: string }> {
  const p = await probe();
  if (!p.variant) return { refused: p.availability.ok ? 'no sandbox variant' : p.availability.reason };
  if (plan.network === 'loopback' && !p.loopback) return { refused: `a private loopback is not available: ${p.loopbackReason ?? 'unknown'}` };
  return buildCommand(p.variant, plan, stage, command);
}

/** True when the output shows the sandbox itself failed to build (not the command). */
export function isSandboxSetupFailure(exitCode: number | null, output: string): boolean {
  return exitCode === SANDBOX_SETUP_EXIT && output.includes(SETUP_MARK);
}
