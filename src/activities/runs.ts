// Run activities: the integration branch, the doctor (and its canary), moving the target,
// and the run's artifact folder `$LANES_HOME/runs/<runId>/` (events.jsonl, report.json,
// doctor logs). Inputs and outputs are plain JSON.
import { createWriteStream, mkdirSync } from 'node:fs';
import { z } from 'zod';
import { once } from 'node:events';
import { dirname } from 'node:path';
import type { AcceptanceCommand } from '../packet/schema.js';
import { advanceTarget, type AdvanceTargetResult } from '../git/landing.js';
import { checkoutForDoctor, prepareIntegration, type PrepareIntegrationInput, type PrepareIntegrationResult, removeDoctorCheckout } from '../git/integration.js';
import { StreamRedactor } from '../redact/secrets.js';
import { runSandboxed, SandboxRefused } from '../sandbox/index.js';
import { laneFailure } from '../failures.js';
import { CappedOutput } from '../tools/output-cap.js';
import { activityCancellationSignal, startHeartbeat, throwIfActivityCancelled } from './activity-context.js';
import { type AppendEventsResult, createArtifactStore, REPORT_FILE, type SequencedEvent } from './artifacts.js';

export const CANARY_ENV = 'LANES_CANARY';

export interface DoctorInput {
  runId: string;
  repoPath: string;
  integrationBranch: string;
  commands: AcceptanceCommand[];
  timeoutMs: number;
  /** Run with LANES_CANARY=1: the doctor is expected to fail. */
  canary: boolean;
  /** Keys the saved result, e.g. "canary" or "batch-2". */
  attemptKey: string;
}

/** Also the record a retried doctor run replays. */
export const DoctorResultSchema = z.object({
  canary: z.boolean(),
  passed: z.boolean(),
  /** The integration commit the doctor ran on: the only commit the target may move to. */
  head: z.string(),
  summary: z.string(),
  results: z.array(
    z.object({ name: z.string(), exitCode: z.number().nullable(), timedOut: z.boolean(), durationMs: z.number(), logPath: z.string(), tail: z.string() }),
  ),
});
export type DoctorResult = z.infer<typeof DoctorResultSchema>;

export interface RunActivitiesDeps {
  home: string;
  heartbeatIntervalMs?: number;
}

export function createRunActivities({ home, heartbeatIntervalMs = 5_000 }: RunActivitiesDeps) {
  const store = createArtifactStore({ home, folder: 'runs' });
  return {
    /**
     * Creates the run's integration branch at the target head, or reuses it when it contains the target.
     * Failure semantics: idempotent per branch — a retry finds the branch and returns created:false;
     * an integration branch that lacks the target head fails branch_divergence (never moved).
     */
    async prepareIntegration(input: PrepareIntegrationInput): Promise<PrepareIntegrationResult> {
      return prepareIntegration(input);
    },

    /**
     * Runs the doctor commands in a detached checkout of the integration head (all must exit 0).
     * Failure semantics: idempotent per (runId, attemptKey) — a retry returns the saved result;
     * a crash mid-run runs the doctor again on the same head. A red doctor is a value, not a failure.
     */
    async runDoctor(input: DoctorInput): Promise<DoctorResult> {
      const { runId, attemptKey } = input;
      const resultRel = `doctor/${attemptKey}.json`;
      const saved = store.readJson(runId, resultRel, DoctorResultSchema);
      if (saved) return saved;
      const { path, head } = await checkoutForDoctor(home, runId, input.repoPath, input.integrationBranch);
      const results: DoctorResult['results'] = [];
      let index = 0;
      const stop = startHeartbeat(() => ({ attemptKey, index }), heartbeatIntervalMs);
      try {
        // The canary flag is set only for the canary run (the sandbox drops every LANES_* variable of the worker).
        const env: Record<string, string> = input.canary ? { [CANARY_ENV]: '1' } : {};
        for (; index < input.commands.length; index++) {
          const cmd = input.commands[index]!;
          const logPath = store.pathOf(runId, `doctor/${attemptKey}-${index}.log`);
          mkdirSync(dirname(logPath), { recursive: true });
          const log = createWriteStream(logPath, { flags: 'w' });
          const tail = new CappedOutput(0, 2_000);
          const redactor = new StreamRedactor();
          const timeoutMs = cmd.timeoutMs ?? input.timeoutMs;
          const write = (text: string) => {
            log.write(text);
            tail.push(text);
          };
          let res;
          try {
            // The doctor runs code the agents wrote: in the same sandbox as acceptance commands.
            res = await runSandboxed({ home, root: path, permissionMode: 'workspace_write', env, command: cmd.run, timeoutMs, signal: activityCancellationSignal(), onOutput: (c) => write(redactor.push(c)) });
          } catch (err) {
            log.end();
            if (err instanceof SandboxRefused) throw laneFailure('tool_runtime', `doctor command "${cmd.name}" refused: ${err.message}`, { hint: err.hint });
            throw err;
          }
          write(redactor.flush());
          const closed = once(log, 'close');
          log.end();
          await closed;
          throwIfActivityCancelled();
          results.push({ name: cmd.name, exitCode: res.timedOut ? null : res.exitCode, timedOut: res.timedOut, durationMs: res.durationMs, logPath, tail: tail.last(2_000) });
          if (res.timedOut || res.exitCode !== 0) break;
        }
      } finally {
        stop();
        await removeDoctorCheckout(home, runId, input.repoPath).catch(() => undefined);
      }
      const passed = results.length === input.commands.length && results.every((r) => r.exitCode === 0 && !r.timedOut);
      const last = results[results.length - 1];
      const summary = passed
        ? `${results.length}/${input.commands.length} doctor command(s) passed`
        : `doctor command "${last?.name}" ${last?.timedOut ? 'timed out' : `exited ${String(last?.exitCode)}`}`;
      const result: DoctorResult = { canary: input.canary, passed, head, summary, results };
      await store.writeJson(runId, resultRel, result);
      return result;
    },

    /**
     * Fast-forwards the target to `head` (a doctor-tested integration commit), only if the
     * target still is at `expectedTargetHead`.
     * Failure semantics: compare-and-swap — a retry after success sees the target already
     * containing `head` and returns landed:true; a moved target returns target_moved.
     */
    async advanceRunTarget(input: { runId: string; repoPath: string; target: string; head: string; expectedTargetHead: string }): Promise<AdvanceTargetResult> {
      return advanceTarget(home, { laneId: `run-${input.runId}`, repoPath: input.repoPath, target: input.target, candidateHead: input.head, expectedTargetHead: input.expectedTargetHead });
    },

    /**
     * Appends run events to `runs/<runId>/events.jsonl`.
     * Failure semantics: idempotent per (runId, seq): a retry appends only what is missing; a gap fails infra.
     */
    async recordRunEvents({ runId, events }: { runId: string; events: SequencedEvent[] }): Promise<AppendEventsResult> {
      return await store.appendEvents(runId, events);
    },

    /** Writes `runs/<runId>/report.json`. Failure semantics: idempotent per runId (atomic replace). */
    async writeRunReport({ runId, report }: { runId: string; report: unknown }): Promise<{ path: string }> {
      return { path: await store.writeJson(runId, REPORT_FILE, report) };
    },
  };
}
