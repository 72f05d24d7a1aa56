// A supervised `lanes worker` child process for drills: its JSON lines (the
// supervisor's spawn/restart events and each worker's ready line) are collected so
// the drill can time restarts, and it is stopped the way an operator stops it.
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { LanesError } from '../errors.js';
import { isAlive } from '../shell/processes.js';

export const LANES_BIN = fileURLToPath(new URL('../../bin/lanes.js', import.meta.url));

export interface WorkerLine {
  event?: string;
  ts?: string;
  pid?: number;
  signal?: string | null;
  exitCode?: number | null;
  [key: string]: unknown;
}

export interface SupervisedWorker {
  /** Pid of the supervisor process. */
  pid: number;
  readonly lines: WorkerLine[];
  /** Every worker child pid the supervisor reported. */
  workerPids(): number[];
  /** Resolves with the first line (from index `from`) that matches. */
  waitFor(match: (l: WorkerLine) => boolean, timeoutMs: number, from?: number): Promise<WorkerLine>;
  /** SIGTERM the supervisor; SIGKILL after graceMs. Reports whether every process is gone. */
  stop(graceMs?: number): Promise<{ exitCode: number | null; signal: string | null; survivors: number[] }>;
}

export interface StartSupervisedWorkerOptions {
  /** Arguments before `worker` (global options such as --address) and after it (worker options). */
  globalArgs: string[];
  workerArgs: string[];
  env: NodeJS.ProcessEnv;
  /** stderr of the supervisor and its workers goes here. */
  logFile: string;
  readyTimeoutMs?: number;
}

export async function startSupervisedWorker(o: StartSupervisedWorkerOptions): Promise<SupervisedWorker> {
  const log = createWriteStream(o.logFile, { flags: 'a' });
  const proc: ChildProcess = spawn(process.execPath, [LANES_BIN, '--json', ...o.globalArgs, 'worker', '--supervise', ...o.workerArgs], {
    env: o.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stderr!.pipe(log);
  const lines: WorkerLine[] = [];
  const waiters = new Set<() => void>();
  createInterface({ input: proc.stdout! }).on('line', (text) => {
    log.write(`${text}\n`);
    try {
      lines.push(JSON.parse(text) as WorkerLine);
    } catch {
      lines.push({ text });
    }
    for (const w of waiters) w();
  });
  const exited = new Promise<{ exitCode: number | null; signal: string | null }>((resolve) =>
    proc.once('exit', (exitCode, signal) => {
      resolve({ exitCode, signal });
      for (const w of waiters) w();
    }),
  );
  let hasExited = false;
  void exited.then(() => (hasExited = true));

  const waitFor = (match: (l: WorkerLine) => boolean, timeoutMs: number, from = 0): Promise<WorkerLine> =>
    new Promise((resolve, reject) => {
      const check = () => {
        const hit = lines.slice(from).find(match);
        if (hit) {
          done();
          resolve(hit);
        } else if (hasExited) {
          done();
          reject(new LanesError('runtime', `the supervised worker exited before the awaited line; see ${o.logFile}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new LanesError('unavailable', `no matching line from the supervised worker within ${timeoutMs} ms; see ${o.logFile}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });

  const workerPids = () => lines.filter((l) => l.event === 'worker.spawned' && typeof l.pid === 'number').map((l) => l.pid!);
  await waitFor((l) => l.event === 'worker.ready', o.readyTimeoutMs ?? 60_000);
  return {
    pid: proc.pid!,
    lines,
    workerPids,
    waitFor,
    async stop(graceMs = 20_000) {
      if (!hasExited) proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      const r = await exited;
      clearTimeout(timer);
      await new Promise<void>((resolve) => log.end(() => resolve()));
      const survivors = [proc.pid!, ...workerPids()].filter((pid) => isAlive(pid));
      return { ...r, survivors };
    },
  };
}
