// The OS sandbox everything a lane executes runs in (Linux only): agent bash, every
// acceptance command, merge-candidate tests, and later external agent processes.
//
// A private mount namespace in which every mount is read-only (unless the plan says
// otherwise), hidden paths are covered by empty read-only tmpfs (files by /dev/null), the
// paths the plan keeps are bound back on top (writable or read-only), then all capabilities
// are dropped so the command cannot remount its way out. A private network namespace gives
// no network (loopback down) or a private loopback; a private PID namespace (when the host
// allows it) makes a kill of the sandbox take every process inside with it and hides the
// worker's /proc (its environment).
//
// Hand-written on util-linux `unshare`, `mount`, `setpriv` (and iproute2 `ip` for a
// loopback) rather than bubblewrap: bwrap is the better-kept tool, but it is not installed
// on mainstream hosts by default (Debian 12 ships it as an optional package; it is absent
// on our CI machines), while util-linux is part of every base system. bwrap also always
// brings the loopback up in a new network namespace, so `network: none` could not mean "no
// sockets at all". Where namespaces or a tool are missing the probe says why and the
// sandbox refuses (fail closed) rather than run unconfined.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProcessGroup } from '../shell/process-group.js';
import type { SandboxPlan } from './plan.js';

/** Exit status the setup script uses when the sandbox could not be built. */
export const SANDBOX_SETUP_EXIT = 125;
const SETUP_MARK = 'lanes-sandbox: setup failed';

// $1 stage dir, $2 network, $3 shell, $4 command, $5 cwd, then tagged paths:
//   k:w:<path> / k:r:<path>  kept paths (bound back writable / read-only), in order
//   h:<path>                 hidden paths (empty read-only tmpfs, or /dev/null for a file)
//   m:<path>                 mount points made read-only
// Kept paths are bound into a private stage first (cwd holds it, so a hide over its parent
// does not lose it), then hides go on, then the kept paths are bound back on top.
const SETUP_SCRIPT = `
fail() { echo "${SETUP_MARK}: $1" >&2; exit ${SANDBOX_SETUP_EXIT}; }
stage=$1; net=$2; sh=$3; cmd=$4; cwd=$5; shift 5
if [ "$net" = loopback ]; then ip link set lo up || fail "bring up a private loopback (needs ip from iproute2)"; fi
mount -t tmpfs -o size=64k,mode=700 lanes-stage "$stage" || fail "stage $stage"
cd "$stage" || fail "cd $stage"
i=0
for a in "$@"; do case $a in k:*)
  p=\${a#k:?:}; i=$((i+1))
  if [ -d "$p" ]; then mkdir "$i"; else : > "$i"; fi
  mount --bind "$p" "$i" || fail "bind $p";;
esac; done
for a in "$@"; do case $a in m:*)
  mount -o remount,bind,ro "\${a#m:}" 2>/dev/null || fail "remount read-only \${a#m:}";;
esac; done
for a in "$@"; do case $a in h:*)
  p=\${a#h:}
  if [ -d "$p" ]; then mount -t tmpfs -o size=64k,mode=755 lanes-hidden "$p" || fail "hide $p"
  elif [ -e "$p" ]; then mount --bind /dev/null "$p" || fail "hide $p"; fi;;
esac; done
i=0
for a in "$@"; do case $a in k:*)
  p=\${a#k:?:}; i=$((i+1))
  if [ -d "$i" ]; then mkdir -p "$p" 2>/dev/null; else mkdir -p "\${p%/*}" 2>/dev/null; [ -e "$p" ] || : > "$p"; fi
  mount --bind "$i" "$p" || fail "bind back $p"
  case $a in k:r:*) mount -o remount,bind,ro "$p" || fail "read-only $p";; esac;;
esac; done
for a in "$@"; do case $a in h:*)
  p=\${a#h:}
  if [ -d "$p" ]; then mount -o remount,ro "$p" || fail "seal $p"; fi;;
esac; done
cd / && umount -l "$stage" 2>/dev/null
cd "$cwd" || fail "cd $cwd"
exec setpriv --no-new-privs --inh-caps=-all --bounding-set=-all "$sh" -c "$cmd"
`;

/** The shell commands run in: bash when installed, else POSIX sh. */
export const SHELL_PATH = existsSync('/bin/bash') ? '/bin/bash' : '/bin/sh';

function unescapeMountPath(p: string): string {
  return p.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/**
 * Mount points of this process, as the sandbox will see them. Entries under /proc are left
 * out when the sandbox mounts its own /proc (they are hidden by it).
 */
function mountPoints(ownProc: boolean): string[] {
  const info = readFileSync('/proc/self/mountinfo', 'utf8');
  const points = new Set<string>();
  for (const line of info.split('\n')) {
    const mp = line.split(' ')[4];
    if (!mp) continue;
    const path = unescapeMountPath(mp);
    if (ownProc && path.startsWith('/proc/')) continue;
    points.add(path);
  }
  return [...points];
}

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
  if (v.pidNamespace) args.push('--pid', '--fork', '--kill-child', '--mount-proc');
  return args;
}

export interface SandboxedCommand {
  file: string;
  args: string[];
}

function buildCommand(v: Variant, plan: SandboxPlan, stage: string, command: string): SandboxedCommand {
  const tagged = [
    ...plan.keep.map((k) => `k:${k.writable ? 'w' : 'r'}:${k.path}`),
    ...plan.hide.map((p) => `h:${p}`),
    ...(plan.readOnlyRest ? mountPoints(v.pidNamespace).map((p) => `m:${p}`) : []),
  ];
  return {
    file: 'unshare',
    args: [...unshareArgs(v, plan.network), '--', '/bin/sh', '-c', SETUP_SCRIPT, 'lanes-sandbox', stage, plan.network, SHELL_PATH, command, plan.cwd, ...tagged],
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
