// Acceptance commands for a green level, run in the lane worktree (or its merge candidate).
// The commands come from the packet, but the code they run (tests) is written by the agent,
// so they run in the same sandbox as the agent's bash (src/sandbox): only the worktree and
// a scratch dir writable, $LANES_HOME and credentials hidden, no network by default. Logs
// are capped and secret values redacted before they reach disk.
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { once } from 'node:events';
import { z } from 'zod';
import type { AcceptanceCommand } from '../packet/schema.js';
import { type GreenLevel, GreenLevelSchema } from '../packet/green-levels.js';
import type { PermissionMode } from '../packet/schema.js';
import { declareSecretNames, StreamRedactor } from '../redact/secrets.js';
import { runSandboxed, SandboxRefused } from '../sandbox/index.js';
import type { SandboxSettings } from '../sandbox/plan.js';
import { CappedOutput } from '../tools/output-cap.js';
import { laneFailure } from '../failures.js';
import { activityCancellationSignal, currentActivity, startHeartbeat, throwIfActivityCancelled } from './activity-context.js';
import { assertSafeSegment, createArtifactStore, type ArtifactStore } from './artifacts.js';
import { assertLanePath } from '../git/worktrees.js';
import { type FaultInjector, NO_FAULTS } from '../faults/index.js';

/** Characters of output kept in the result (the full log is on disk). */
export const TEST_TAIL_CHARS = 2_000;
/** A command's log keeps this many characters; the rest is counted and dropped (the tail is kept in the result). */
export const TEST_LOG_LIMIT_CHARS = 10_000_000;

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
  /** The packet's permission mode: danger_full_access opens the sandbox (git dir stays read-only). Default workspace_write. */
  permissionMode?: PermissionMode;
  /** The packet's `sandbox` section; absent = defaults (no network, $LANES_HOME and credentials hidden). */
  sandbox?: Partial<SandboxSettings>;
  /** The packet's `secrets` names: passed to the commands, redacted in logs. */
  secrets?: string[];
}

export const CommandResultSchema = z.object({
  name: z.string(),
  run: z.string(),
  /** null when the command was killed (timeout). */
  exitCode: z.number().nullable(),
  timedOut: z.boolean(),
  durationMs: z.number(),
  /** Absolute path of the full combined stdout/stderr log. */
  logPath: z.string(),
  /** The last 2000 characters of output. */
  tail: z.string(),
});
export type CommandResult = z.infer<typeof CommandResultSchema>;

/** Also the record a retried run replays (tests/<attemptKey>-<level>.json). */
export const AcceptanceResultSchema = z.object({
  level: GreenLevelSchema,
  passed: z.boolean(),
  /** One line for histories and reports, e.g. "targeted: 2/2 commands passed". */
  summary: z.string(),
  /** Commands that ran, in order; stops at the first failure. */
  results: z.array(CommandResultSchema),
  /** The activity attempt that ran them (> 1: an earlier attempt may have left files in the checkout). */
  ranInAttempt: z.number().int().positive().optional(),
});
export type AcceptanceResult = z.infer<typeof AcceptanceResultSchema>;

export interface TestActivities {
  runAcceptance(input: AcceptanceInput): Promise<AcceptanceResult>;
}

export interface TestActivitiesOptions {
  home: string;
  artifacts?: ArtifactStore;
  /** Heartbeat interval while commands run, ms (default 5000). */
  heartbeatIntervalMs?: number;
  /** Worker config: packets may ask for `sandbox.network: host`. */
  allowHostNetwork?: boolean;
  /** Per-command log cap in characters (default TEST_LOG_LIMIT_CHARS). */
  logLimitChars?: number;
  /** Kill points for drills and chaos (default NO_FAULTS: nothing fires). */
  faults?: FaultInjector;
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

export function createTestActivities({ home, artifacts, heartbeatIntervalMs = 5_000, allowHostNetwork = false, logLimitChars = TEST_LOG_LIMIT_CHARS, faults = NO_FAULTS }: TestActivitiesOptions): TestActivities {
  const store = artifacts ?? createArtifactStore({ home });

  async function runOne(input: AcceptanceInput, cwd: string, logRel: string, cmd: AcceptanceCommand): Promise<CommandResult> {
    const { laneId } = input;
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
    const redactor = new StreamRedactor();
    let logged = 0;
    const record = (text: string): void => {
      tail.push(text);
      if (logged >= logLimitChars) return;
      const room = logLimitChars - logged;
      log.write(text.length > room ? text.slice(0, room) : text);
      logged += Math.min(room, text.length);
      if (logged >= logLimitChars) log.write(`\n[lanes: log capped at ${logLimitChars} characters; the rest is dropped]\n`);
    };
    const timeoutMs = cmd.timeoutMs ?? input.timeoutMs;
    try {
      let res;
      try {
        res = await runSandboxed({
          home,
          root: cwd,
          permissionMode: input.permissionMode ?? 'workspace_write',
          settings: input.sandbox,
          allowHostNetwork,
          secrets: input.secrets,
          command: cmd.run,
          timeoutMs,
          signal: activityCancellationSignal(),
          onOutput: (chunk) => record(redactor.push(chunk)),
        });
      } catch (err) {
        if (err instanceof SandboxRefused) throw laneFailure('tool_runtime', `acceptance command "${cmd.name}" refused: ${err.message}`, { hint: err.hint });
        throw err;
      }
      record(redactor.flush());
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
      declareSecretNames(input.secrets);
      assertSafeSegment('green level', level);
      assertSafeSegment('attempt key', attemptKey);
      if (!Number.isSafeInteger(input.timeoutMs) || input.timeoutMs <= 0) {
        throw laneFailure('validator', `acceptance timeoutMs ${String(input.timeoutMs)} for lane ${laneId} must be a positive integer`, {
          hint: 'Set acceptance timeouts in the task packet in milliseconds.',
        });
      }
      const cwd = assertLanePath(home, laneId, input.cwd, { allowCandidate: true, mustExist: true });
      const resultRel = `tests/${attemptKey}-${level}.json`;
      const saved = store.readJson(laneId, resultRel, AcceptanceResultSchema);
      if (saved) return saved;

      const results: CommandResult[] = [];
      let index = 0;
      const stopHeartbeat = startHeartbeat(() => ({ level, index, of: commands.length }), heartbeatIntervalMs);
      try {
        for (; index < commands.length; index++) {
          const running = runOne(input, cwd, `tests/${attemptKey}-${level}-${index}.log`, commands[index]!);
          if (index === 0) {
            // Kill point: the first command's process group is spawned and running.
            try {
              await faults.point('mid_tests', { home, laneId, level, attemptKey });
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
      const result: AcceptanceResult = { level, passed, summary: summarize(level, commands, results), results, ranInAttempt: currentActivity()?.info.attempt ?? 1 };
      await store.writeJson(laneId, resultRel, result);
      return result;
    },
  };
}
