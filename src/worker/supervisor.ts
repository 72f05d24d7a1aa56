// `lanes worker --supervise`: keeps one worker child process alive. A worker that
// dies abnormally (signal, non-zero exit) is restarted with exponential backoff, and
// every restart is logged; the restarted worker fails its predecessor's orphaned
// activity attempts (see inflight.ts), so the lane resumes within seconds.
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface SupervisorEvent {
  event: 'worker.spawned' | 'worker.restarted' | 'worker.gave_up' | 'worker.supervisor.stopped';
  ts: string;
  [key: string]: unknown;
}

export interface SupervisorOptions {
  /** Executable of the child (usually process.execPath). */
  command: string;
  args: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** First restart delay, ms (default 200); doubles per consecutive restart. */
  initialDelayMs?: number;
  /** Cap of the restart delay, ms (default 10000). */
  maxDelayMs?: number;
  /** A child that ran this long (ms, default 60000) resets the backoff to the first delay. */
  resetAfterMs?: number;
  /**
   * Exit codes that mean "restarting will not help" (default [2]: usage or
   * configuration errors); the supervisor stops and exits with that code.
   */
  fatalExitCodes?: readonly number[];
  /** Supervisor events (spawn, restart, give-up, stop). */
  log(event: SupervisorEvent): void;
  /** Each line the child prints on stdout (default: copied to this process's stdout). */
  onChildLine?(line: string): void;
}

export interface Supervisor {
  /** Resolves with the exit code the supervising process should use. */
  done: Promise<number>;
  /** Forwards `signal` to the child and stops restarting it. */
  stop(signal?: NodeJS.Signals): void;
  /** Pid of the running child, if one is running. */
  childPid(): number | undefined;
}

/** Restart delay for the n-th consecutive restart (n from 1). */
export function restartDelayMs(attempt: number, initialMs = 200, maxMs = 10_000): number {
  return Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1));
}

export function superviseWorker(opts: SupervisorOptions): Supervisor {
  const initial = opts.initialDelayMs ?? 200;
  const max = opts.maxDelayMs ?? 10_000;
  const resetAfter = opts.resetAfterMs ?? 60_000;
  const fatal = opts.fatalExitCodes ?? [2];
  const ts = () => new Date().toISOString();

  let child: ChildProcess | undefined;
  let stopping: NodeJS.Signals | undefined;
  let restartTimer: NodeJS.Timeout | undefined;
  let attempt = 0;
  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((r) => (resolveDone = r));
  let finished = false;
  const finish = (exitCode: number, extra: Record<string, unknown> = {}) => {
    if (finished) return;
    finished = true;
    opts.log({ event: 'worker.supervisor.stopped', ts: ts(), exitCode, ...extra });
    resolveDone(exitCode);
  };

  const start = () => {
    restartTimer = undefined;
    const startedAt = Date.now();
    const proc = spawn(opts.command, [...opts.args], { env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'inherit'] });
    child = proc;
    opts.log({ event: 'worker.spawned', ts: ts(), pid: proc.pid ?? null, attempt });
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      if (opts.onChildLine) opts.onChildLine(line);
      else process.stdout.write(`${line}\n`);
    });
    proc.once('error', (err) => {
      // Spawn failed (missing executable): restarting cannot help.
      opts.log({ event: 'worker.gave_up', ts: ts(), reason: err.message });
      child = undefined;
      finish(1);
    });
    proc.once('exit', (exitCode, signal) => {
      child = undefined;
      if (stopping) {
        // Asked to stop: the child's own verdict, a forwarded signal counts as clean.
        finish(exitCode === null || exitCode === 0 ? 0 : exitCode, { signal: stopping });
        return;
      }
      if (signal === null && exitCode === 0) {
        finish(0);
        return;
      }
      if (signal === null && exitCode !== null && fatal.includes(exitCode)) {
        opts.log({ event: 'worker.gave_up', ts: ts(), exitCode, reason: `exit code ${exitCode} is a usage or configuration error; restarting will not help` });
        finish(exitCode);
        return;
      }
      const uptimeMs = Date.now() - startedAt;
      attempt = uptimeMs >= resetAfter ? 1 : attempt + 1;
      const delayMs = restartDelayMs(attempt, initial, max);
      opts.log({ event: 'worker.restarted', ts: ts(), exitCode, signal, attempt, delayMs, previousPid: proc.pid ?? null, uptimeMs });
      restartTimer = setTimeout(start, delayMs);
    });
  };

  start();
  return {
    done,
    childPid: () => child?.pid,
    stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (finished) return;
      stopping = signal;
      if (restartTimer) {
        clearTimeout(restartTimer);
        restartTimer = undefined;
        finish(0, { signal });
        return;
      }
      child?.kill(signal);
    },
  };
}

/**
 * Stops the supervisor on SIGINT/SIGTERM (each signal is forwarded to the child, so a
 * second Ctrl-C reaches a draining worker too). Returns the function that unhooks it.
 */
export function forwardSignals(sup: Supervisor): () => void {
  const on = (sig: NodeJS.Signals) => sup.stop(sig);
  process.on('SIGINT', on);
  process.on('SIGTERM', on);
  return () => {
    process.off('SIGINT', on);
    process.off('SIGTERM', on);
  };
}
