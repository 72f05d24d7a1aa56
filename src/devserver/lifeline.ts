// Processes that must not outlive the `lanes` process that started them (`lanes up`,
// `lanes server`), even when it is killed with SIGKILL and gets no chance to clean up.
// Node has no PR_SET_PDEATHSIG, so a tiny detached watchdog polls the parent and takes the
// child's process group down when the parent is gone. Node children of ours (the worker)
// watch their parent themselves (exitWithParent).
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { LanesError } from '../errors.js';

/** Env var naming the pid a worker child must exit with (set by the supervisor of `lanes up`). */
export const EXIT_WITH_PARENT_ENV = 'LANES_EXIT_WITH_PARENT';

const WATCHDOG = `
const [parent, child, pollMs] = process.argv.slice(1).map(Number);
const alive = (pid) => { try { process.kill(pid, 0); return true; } catch (e) { return e.code === 'EPERM'; } };
const kill = (sig) => { try { process.kill(-child, sig); } catch { try { process.kill(child, sig); } catch {} } };
const timer = setInterval(() => {
  if (!alive(child)) process.exit(0);
  if (alive(parent)) return;
  clearInterval(timer);
  kill('SIGTERM');
  setTimeout(() => { kill('SIGKILL'); process.exit(0); }, 5000);
}, pollMs);
`;

/**
 * Starts a detached watchdog that kills `childPid`'s process group (or the pid alone) once
 * `parentPid` is gone. It exits by itself when the child exits first.
 */
export function killWithParent(childPid: number, parentPid = process.pid, pollMs = 500): void {
  const dog = spawn(process.execPath, ['-e', WATCHDOG, String(parentPid), String(childPid), String(pollMs)], { detached: true, stdio: 'ignore' });
  dog.unref();
}

/** In a child process: exit (through the normal shutdown path) when `parentPid` is gone. */
export function exitWithParent(onOrphaned: () => void, env: NodeJS.ProcessEnv = process.env, pollMs = 500): void {
  const parent = Number(env[EXIT_WITH_PARENT_ENV]);
  if (!Number.isInteger(parent) || parent <= 1) return;
  const timer = setInterval(() => {
    // Re-parented (to init or a subreaper): the process that owned us is gone.
    if (process.ppid !== parent) {
      clearInterval(timer);
      onOrphaned();
    }
  }, pollMs);
  timer.unref();
}

/** Refuses to start a server on a port something else already listens on. */
export async function assertPortFree(ip: string, port: number, flag: string): Promise<void> {
  const busy = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
    const srv = createServer();
    srv.once('error', (err: NodeJS.ErrnoException) => resolve(err));
    srv.listen(port, ip, () => srv.close(() => resolve(undefined)));
  });
  if (!busy) return;
  const why = busy.code === 'EADDRINUSE' ? 'is already in use' : `cannot be used (${busy.code ?? busy.message})`;
  throw new LanesError(
    'unavailable',
    `port ${port} on ${ip} ${why}; the Temporal dev server was not started`,
    `Pick a free port with ${flag}, stop what listens there (e.g. \`ss -ltnp 'sport = :${port}'\`), or, if it is a Temporal server, use it with --address ${ip}:${port}.`,
    'infra',
  );
}

/**
 * The Web UI of a server we did not start: `temporal server start-dev` serves it on the gRPC
 * port + 1000 unless told otherwise. Returned only when something answers HTTP there.
 */
export async function probeUiUrl(address: string, timeoutMs = 1_500): Promise<string | undefined> {
  const m = /^(.*):(\d+)$/.exec(address);
  if (!m) return undefined;
  const host = m[1] === 'localhost' || m[1] === '' ? '127.0.0.1' : m[1]!;
  const url = `http://${host}:${Number(m[2]) + 1000}`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    return res.status < 500 ? url : undefined;
  } catch {
    return undefined;
  }
}
