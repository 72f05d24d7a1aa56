// Blocking and its way out: a lane that needs a person sets `blocked`, waits for
// `lanes resolve` (retry | approve | abort) or the escalation timeout, and a
// lane that cannot go on stops with a LaneStop. Also the trust gate's signal.
import { condition, isCancellation, setHandler, sleep } from '@temporalio/workflow';
import { classifyFailure, type FailureClass, failureDetails } from '../../failures.js';
import { failureHint, innermostMessage } from '../failure-text.js';
import { isWarningLevel, nextStep } from '../recovery.js';
import { recommendationFor } from '../summary.js';
import { type Resolution, resolveUpdate, trustSignal } from './api.js';
import type { LaneRun } from './run.js';

/** A lane that ended without merging for a reason an operator must see. */
export class LaneStop extends Error {
  constructor(
    readonly failureClass: FailureClass,
    message: string,
    readonly hint?: string | null,
  ) {
    super(message);
  }
}

/** The trust signal and the resolve update (validated: only a blocked lane can be resolved). */
export function installGateHandlers(run: LaneRun): void {
  setHandler(trustSignal, (payload) => {
    run.trusted = true;
    run.trustedBy = payload?.by ?? null;
  });
  setHandler(
    resolveUpdate,
    (r) => {
      run.resolution = r;
      return { accepted: true as const, action: r.action };
    },
    {
      validator: (r) => {
        if (run.state !== 'blocked') throw new Error(`lane ${run.laneId} is ${run.state}, not blocked: nothing to resolve`);
        if (r.action === 'approve' && !run.blockerWarnOnly) {
          throw new Error(`the current blocker (${run.failureClass ?? 'unknown'}) cannot be approved: only the review gate and warning-level gates can (use --retry or --abort)`);
        }
      },
    },
  );
}

export interface Gate {
  /** `lanes resolve --approve` may wave this blocker through. */
  approvable?: boolean;
  /** Advice shown instead of the class's default recommendation. */
  recommended?: string;
  /** Extra data for the lane.blocked event (e.g. the failing output's end). */
  data?: Record<string, unknown>;
  /** How to fix the cause (from the failure that blocked). */
  hint?: string | null;
}

/** Waits in `blocked` for a resolution (or the escalation timeout). */
export async function escalate(run: LaneRun, cls: FailureClass, why: string, gate: Gate = {}): Promise<Resolution> {
  const { packet } = run;
  run.failureClass = cls;
  run.blockerWarnOnly = gate.approvable === true || isWarningLevel(cls, { budgetMode: packet.budget.mode });
  run.emit('lane.escalated', `escalated: ${why}`, { recoveryAttempts: packet.escalation.recoveryAttempts }, cls);
  // Cleared before the lane reads as blocked: from then on the validator accepts a
  // resolve (a webhook automation may send one during the flush below), and it must stick.
  run.resolution = null;
  run.setState('blocked', 'lane.blocked', why, { ...gate.data, recommended: gate.recommended ?? recommendationFor(cls), approvable: run.blockerWarnOnly, hint: gate.hint ?? null }, cls);
  await run.flush();
  const resolved = await condition(() => run.resolution !== null, packet.escalation.timeoutMs);
  if (!resolved) throw new LaneStop(cls, `blocked for ${packet.escalation.timeoutMs} ms without a resolution: ${why}`);
  const r = run.resolution as unknown as Resolution;
  run.failureClass = null;
  run.blockerWarnOnly = false;
  run.setState('running', 'lane.resolved', `resolved with ${r.action}${r.note ? `: ${r.note}` : ''}`, { resolution: r.action });
  if (r.action === 'abort') throw new LaneStop(cls, `aborted by operator while blocked: ${why}`);
  return r;
}

/**
 * Runs a step; a failure that is not a cancellation blocks the lane (recover
 * was already tried by the activity's retry policy) until resolved: retry runs
 * the step again, abort fails the lane with the step's class.
 */
export async function withEscalation<T>(run: LaneRun, what: string, step: () => Promise<T>, onFailure?: (cls: FailureClass, err: unknown) => void): Promise<T> {
  let recoveries = 0;
  for (;;) {
    try {
      return await step();
    } catch (err) {
      if (isCancellation(err) || err instanceof LaneStop) throw err;
      const cls = classifyFailure(err);
      // The cause's own words and hint, never the wrapper's "Activity task failed".
      const message = `${what} failed: ${innermostMessage(err)}`;
      const hint = failureHint(err);
      onFailure?.(cls, err);
      const next = nextStep({ cls, attemptsUsed: recoveries, recoveryAttempts: run.packet.escalation.recoveryAttempts, retryAfterSeconds: failureDetails(err).retryAfterSeconds });
      // Recipes that mean "run the step again" are tried here once; the rest need a person.
      if (next.action === 'recover' && ['backoff_retry', 'retry_tool', 'recreate_worktree'].includes(next.recipe.id)) {
        recoveries += 1;
        run.emit('lane.recovery.attempted', `${what}: ${next.recipe.id} after ${cls}${next.delayMs ? ` (waiting ${Math.round(next.delayMs / 1000)} s)` : ''}`, { recipe: next.recipe.id, attempt: recoveries, delayMs: next.delayMs }, cls);
        if (next.delayMs) await sleep(next.delayMs);
        continue;
      }
      if (next.action === 'escalate' && next.to === 'failed') throw new LaneStop(cls, message, hint);
      await escalate(run, cls, message, { hint });
    }
  }
}
