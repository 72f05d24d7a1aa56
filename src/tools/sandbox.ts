// The OS sandbox for the agent's bash in workspace_write mode (Linux only): a private
// mount namespace in which every mount is read-only except the worktree and a scratch
// TMPDIR, the worktree's .git is read-only too, and all capabilities are dropped before
// the command runs, so it cannot remount its way out. A private PID namespace (when the
// host allows it) makes a kill of the sandbox take every process inside with it.
//
// Built from util-linux `unshare`, `mount` and `setpriv`, present on mainstream distros.
// Where they or namespaces are unavailable the probe says why and bash is refused in
// workspace_write mode (fail closed) rather than run unconfined.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childEnv } from '../shell/child-env.js';
import { runProcessGroup } from '../shell/process-group.js';

/** Exit status the setup script uses when the sandbox could not be built. */
export const SANDBOX_SETUP_EXIT = 125;
const SETUP_MARK = 'lanes-sandbox: setup failed';

// $1 root, $2 scratch, $3 shell, $4 command, then the mount points to make read-only.
const SETUP_SCRIPT = `
fail() { echo "${SETUP_MARK}: $1" >&2; exit ${SANDBOX_SETUP_EXIT}; }
root=$1; scratch=$2; sh=$3; cmd=$4; shift 4
mount --bind "$root" "$root" || fail "bind $root"
mount --bind "$scratch" "$scratch" || fail "bind $scratch"
for mp in "$@"; do
  mount -o remount,bind,ro "$mp" 2>/dev/null || fail "remount read-only $mp"
done
if [ -e "$root/.git" ]; then
  mount --bind "$root/.git" "$root/.git" && mount -o remount,bind,ro "$root/.git" || fail "protect $root/.git"
fi
cd "$root" || fail "cd $root"
exec setpriv --no-new-privs --inh-caps=-all --bounding-set=-all "$sh" -c "$cmd"
`;

/** The shell the bash tool runs: bash when installed, else POSIX sh. */
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
  { name: 'mount+pid namespaces', pidNamespace: true },
  { name: 'mount namespace', pidNamespace: false },
];

function unshareArgs(v: Variant): string[] {
  const args: string[] = [];
  // Without root, a user namespace grants the mount rights inside the sandbox only.
  if (process.getuid?.() !== 0) args.push('--user', '--map-root-user');
  args.push('--mount', '--propagation', 'private');
  if (v.pidNamespace) args.push('--pid', '--fork', '--kill-child', '--mount-proc');
  return args;
}

export interface SandboxedCommand {
  file: string;
  args: string[];
}

function buildCommand(v: Variant, root: string, scratch: string, command: string): SandboxedCommand {
  return {
    file: 'unshare',
    args: [...unshareArgs(v), '--', '/bin/sh', '-c', SETUP_SCRIPT, 'lanes-sandbox', root, scratch, SHELL_PATH, command, ...mountPoints(v.pidNamespace)],
  };
}

export type SandboxAvailability = { ok: true; variant: string } | { ok: false; reason: string };

let probed: Promise<{ availability: SandboxAvailability; variant?: Variant }> | undefined;

async function probeVariant(v: Variant): Promise<string | undefined> {
  const root = mkdtempSync(join(tmpdir(), 'lanes-sandbox-probe-'));
  const scratch = mkdtempSync(join(tmpdir(), 'lanes-sandbox-probe-tmp-'));
  try {
    let out = '';
    // The probe proves both halves: the worktree is writable, the rest is not.
    const probeCmd = `echo ok > probe && ! (echo x > "${scratch}/../lanes-sandbox-escape-${process.pid}") 2>/dev/null`;
    const { file, args } = buildCommand(v, root, scratch, probeCmd);
    const res = await runProcessGroup({ file, args, cwd: root, env: childEnv(), timeoutMs: 10_000, onOutput: (c) => (out += c) });
    rmSync(join(scratch, '..', `lanes-sandbox-escape-${process.pid}`), { force: true });
    if (res.exitCode === 0 && existsSync(join(root, 'probe'))) return undefined;
    return `${v.name}: exit ${res.exitCode ?? res.signal}${out.trim() ? `: ${out.trim().slice(0, 300)}` : ''}`;
  } catch (err) {
    return `${v.name}: ${(err as Error).message}`;
  } finally {
    rmSync(root, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Whether this host can run the sandbox; probed once per process. */
export async function sandboxAvailability(): Promise<SandboxAvailability> {
  return (await probe()).availability;
}

function probe(): Promise<{ availability: SandboxAvailability; variant?: Variant }> {
  probed ??= (async () => {
    if (process.platform !== 'linux') {
      return { availability: { ok: false, reason: `the sandbox needs Linux namespaces; this host is ${process.platform}` } };
    }
    const reasons: string[] = [];
    for (const v of VARIANTS) {
      const why = await probeVariant(v);
      if (!why) return { availability: { ok: true, variant: v.name }, variant: v };
      reasons.push(why);
    }
    return { availability: { ok: false, reason: reasons.join('; ') } };
  })();
  return probed;
}

/** The argv that runs `command` in the sandbox, or undefined when the host has none. */
export async function sandboxedShell(root: string, scratch: string, command: string): Promise<SandboxedCommand | undefined> {
  const { variant } = await probe();
  return variant ? buildCommand(variant, root, scratch, command) : undefined;
}

/** True when the output shows the sandbox itself failed to build (not the command). */
export function isSandboxSetupFailure(exitCode: number | null, output: string): boolean {
  return exitCode === SANDBOX_SETUP_EXIT && output.includes(SETUP_MARK);
}
