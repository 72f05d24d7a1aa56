// Acceptance commands for a green level, run in the lane worktree (or its merge candidate).
// Commands come from the packet, written by its author, so they run unconfined — unlike
// the agent's bash — but still without provider credentials, in their own process group.
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { once } from 'node:events';
import type { AcceptanceCommand, GreenLevel } from '../packet/schema.js';
import { childEnv } from '../shell/child-env.js';
import { runProcessGroup } from '../shell/process-group.js';
import { CappedOutput } from '../tools/output-cap.js';
import { laneFailure } from '../failures.js';
import { activityCancellationSignal, startHeartbeat, throwIfActivityCancelled } from './activity-context.js';
import { assertSafeSegment, createArtifactStore, type ArtifactStore } from './artifacts.js';
import { assertLaneWorktree } from './lane-worktree.js';
import { faultPoint } from '../faults/index.js';

/** Characters of output kept in the result (the full log is on disk). */
export const TEST_TAIL_CHARS = 2_000;

export interface AcceptanceInput {
  laneId: string;
  /** `${home}/worktrees/${laneId}` or `${home}/worktrees/${laneId}.candidate`. */
  cwd: string;
  /** Green level these commands prove. */
  level: GreenLevel;
  commands: AcceptanceCommand[];
  /** Default per-command timeout in ms. */
  timeoutMs: number;
  /** Distinguishes runs of the same level (e.g. a commit sha or attempt number); keys the saved result. */
  attemptKey: string;
}

export interface CommandResult {
  name: string;
  run: string;
  /** null when the command was killed (timeout). */
  exitCode: number | null;
  timedOut: boolean;
  durationMs: number;
  /** Absolute path of the full combined stdout/stderr log. */
  logPath: string;
  /** The last 2000 characters of output. */
  tail: string;
}

export interface AcceptanceResult {
  level: GreenLevel;
  passed: boolean;
  /** One line for histories and reports, e.g. "targeted: 2/2 commands passed". */
  summary: string;
  /** Commands that ran, in order; stops at the first failure. */
  results: CommandResult[];
}

export interface TestActivities {
  runAcceptance(input: AcceptanceInput): Promise<AcceptanceResult>;
}

export interface TestActivitiesOptions {
  home: string;
  artifacts?: ArtifactStore;
  /** Heartbeat interval while commands run, ms (default 5000). */
  heartbeatIntervalMs?: number;
}

function summarize(level: GreenLevel, commands: AcceptanceCommand[], results: CommandResult[]): string {
  if (commands.length === 0) return `${level}: no acceptance commands configured; passes trivially`;
  const last = results[results.length - 1];
  if (last && (last.timedOut || last.exitCode !== 0)) {
    const why = last.timedOut ? 'timed out' : last.exitCode === null ? 'was killed' : `exited ${last.exitCode}`;
    return `${level}: command ${results.length}/${commands.length} "${last.name}" ${why}`;
  }
  return `${level}: ${results.length}/${commands.length} commands passed`;
}

export function createTestActivities({ home, artifacts, heartbeatIntervalMs = 5_000 }: TestActivitiesOptions): TestActivities {
  const store = artifacts ?? createArtifactStore({ home });

  async function runOne(laneId: string, cwd: string, logRel: string, cmd: AcceptanceCommand, defaultTimeoutMs: number): Promise<CommandResult> {
    const logPath = store.pathOf(laneId, logRel);
    mkdirSync(dirname(logPath), { recursive: true });
    const log = createWriteStream(logPath, { flags: 'w' });
    let logError: Error | undefined;
    log.on('error', (err) => (logError ??= err));
    const closeLog = async (): Promise<void> => {
      if (log.closed) return;
      const closed = once(log, 'close');
      log.end();
      await closed;
    };
    const tail = new CappedOutput(0, TEST_TAIL_CHARS);
    const timeoutMs = cmd.timeoutMs ?? defaultTimeoutMs;
    try {
      const res = await runProcessGroup({
        file: '/bin/sh',
        args: ['-c', cmd.run],
        cwd,
        env: childEnv(),
        timeoutMs,
        signal: activityCancellationSignal(),
        onOutput: (chunk) => {
          log.write(chunk);
          tail.push(chunk);
        },
      });
      if (res.timedOut) log.write(`\n[lanes: timed out after ${timeoutMs} ms; process group killed]\n`);
      await closeLog();
      if (logError) {
        throw laneFailure('infra', `could not write test log ${logPath}: ${logError.message}`, {
          hint: 'Check that $LANES_HOME is on a writable disk with free space.',
        });
      }
      return {
        name: cmd.name,
        run: cmd.run,
        exitCode: res.timedOut ? null : res.exitCode,
        timedOut: res.timedOut,
        durationMs: res.durationMs,
        logPath,
        tail: tail.last(TEST_TAIL_CHARS),
      };
    } finally {
      await closeLog();
    }
  }

  return {
    /**
     * Runs a level's acceptance commands in order, stopping at the first failure; each
     * command's output goes to `lanes/<laneId>/tests/<attemptKey>-<level>-<i>.log` and the
     * result to `lanes/<laneId>/tests/<attemptKey>-<level>.json`.
     * Failure semantics: idempotent per (laneId, attemptKey, level) — a retry returns the saved
     * result without re-running; a crash mid-run re-runs the level from its first command.
     * A red result is a value (`passed: false`), not a failure; a cwd other than the lane's
     * worktree or candidate fails `workspace_mismatch`; a cancel kills the running command's
     * process group and rethrows the cancellation.
     */
    async runAcceptance(input) {
      const { laneId, level, attemptKey, commands } = input;
      assertSafeSegment('green level', level);
      assertSafeSegment('attempt key', attemptKey);
      if (!Number.isSafeInteger(input.timeoutMs) || input.timeoutMs <= 0) {
        throw laneFailure('validator', `acceptance timeoutMs ${String(input.timeoutMs)} for lane ${laneId} must be a positive integer`, {
          hint: 'Set acceptance timeouts in the task packet in milliseconds.',
        });
      }
      const cwd = assertLaneWorktree(home, laneId, input.cwd, { allowCandidate: true });
      const resultRel = `tests/${attemptKey}-${level}.json`;
      const saved = store.readJson<AcceptanceResult>(laneId, resultRel);
      if (saved) return saved;

      const results: CommandResult[] = [];
      let index = 0;
      const stopHeartbeat = startHeartbeat(() => ({ level, index, of: commands.length }), heartbeatIntervalMs);
      try {
        for (; index < commands.length; index++) {
          const running = runOne(laneId, cwd, `tests/${attemptKey}-${level}-${index}.log`, commands[index]!, input.timeoutMs);
          if (index === 0) {
            // Kill point: the first command's process group is spawned and running.
            try {
              await faultPoint('mid_tests', { home, laneId, level, attemptKey });
            } catch (err) {
              await running.catch(() => undefined);
              throw err;
            }
          }
          const r = await running;
          throwIfActivityCancelled();
          results.push(r);
          if (r.timedOut || r.exitCode !== 0) break;
        }
      } finally {
        stopHeartbeat();
      }
      const passed = results.length === commands.length && results.every((r) => !r.timedOut && r.exitCode === 0);
      const result: AcceptanceResult = { level, passed, summary: summarize(level, commands, results), results };
      store.writeJson(laneId, resultRel, result);
      return result;
    },
  };
}
