// Runs one command as the leader of its own process group, so a timeout or a cancel
// kills everything it started (grandchildren included), and nothing outlives the call.
import { execa } from 'execa';
import { laneFailure } from '../failures.js';
import { recordGroup } from './group-records.js';

export interface ProcessGroupOptions {
  file: string;
  args: readonly string[];
  cwd: string;
  /** The complete environment; nothing is inherited beyond it. */
  env: Record<string, string>;
  /** Wall-clock limit in ms; on expiry the group gets SIGTERM, then SIGKILL after killGraceMs. */
  timeoutMs: number;
  /** Aborting kills the group the same way and marks the result `cancelled`. */
  signal?: AbortSignal;
  /** Combined stdout/stderr, in arrival order, decoded as UTF-8. */
  onOutput?: (chunk: string) => void;
  /** Delay between SIGTERM and SIGKILL in ms (default 2000); 0 sends SIGKILL at once. */
  killGraceMs?: number;
}

export interface ProcessGroupResult {
  /** Exit code of the leader; null when it was killed by a signal. */
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  cancelled: boolean;
  durationMs: number;
}

/** How long to wait for pipes to close after the group is gone before cutting them. */
const PIPE_DRAIN_MS = 2_000;

export async function runProcessGroup(opts: ProcessGroupOptions): Promise<ProcessGroupResult> {
  const started = performance.now();
  const killGraceMs = opts.killGraceMs ?? 2_000;
  const child = execa(opts.file, [...opts.args], {
    cwd: opts.cwd,
    env: opts.env,
    extendEnv: false,
    detached: true,
    stdin: 'ignore',
    buffer: false,
    reject: false,
    cleanup: true,
  });
  const pid = child.pid;
  if (pid === undefined) {
    // Spawn itself failed (missing executable, bad cwd): execa resolves with the reason.
    const failed = await child;
    throw laneFailure('infra', `could not start ${opts.file} in ${opts.cwd}: ${failed.message ?? 'spawn failed'}`, {
      hint: 'Check that the working directory exists and the shell is installed.',
    });
  }

  const forgetGroup = recordGroup(pid);
  const killGroup = (sig: NodeJS.Signals): void => {
    try {
      process.kill(-pid, sig);
    } catch {
      /* ESRCH: the group is already gone */
    }
  };

  let timedOut = false;
  let cancelled = false;
  let graceTimer: NodeJS.Timeout | undefined;
  const stop = (): void => {
    if (killGraceMs <= 0) return killGroup('SIGKILL');
    killGroup('SIGTERM');
    graceTimer ??= setTimeout(() => killGroup('SIGKILL'), killGraceMs);
  };
  const deadline = setTimeout(() => {
    timedOut = true;
    stop();
  }, opts.timeoutMs);
  const onAbort = (): void => {
    cancelled = true;
    stop();
  };
  if (opts.signal?.aborted) onAbort();
  else opts.signal?.addEventListener('abort', onAbort, { once: true });

  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => opts.onOutput?.(chunk));
  }

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  let drainTimer: NodeJS.Timeout | undefined;
  try {
    const { code, signal } = await exited;
    // Background jobs the command left behind die with it; this also closes their pipes.
    killGroup('SIGKILL');
    drainTimer = setTimeout(() => {
      // A process that escaped the group (setsid) may still hold the pipes open.
      child.stdout?.destroy();
      child.stderr?.destroy();
    }, PIPE_DRAIN_MS);
    await child;
    return {
      exitCode: code,
      signal,
      timedOut,
      cancelled,
      durationMs: Math.round(performance.now() - started),
    };
  } finally {
    clearTimeout(deadline);
    clearTimeout(graceTimer);
    clearTimeout(drainTimer);
    opts.signal?.removeEventListener('abort', onAbort);
    forgetGroup();
  }
}
