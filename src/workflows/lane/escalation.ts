// Carrying out recovery decisions (the decisions themselves are recovery.ts):
// a lane that needs a person sets `blocked`, waits for `lanes resolve`
// (retry | approve | abort) or the escalation timeout; a lane that cannot go on
// stops with a LaneStop. Also the trust gate's signal.
import { condition, isCancellation, setHandler, sleep } from '@temporalio/workflow';
import { assertNever, classifyFailure, type FailureClass, failureDetails } from '../../failures.js';
import { failureHint, innermostMessage } from '../failure-text.js';
import { decideRecovery, type LaneStep, type RecoveryAction, type RecoverySettings } from '../recovery.js';
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
        if (r.action === 'approve' && !run.blockerApprovable) {
          throw new Error(`the current blocker (${run.failureClass ?? 'unknown'}) cannot be approved: only a review (class review) can; use --retry or --abort`);
        }
      },
    },
  );
}

/**
 * The trust gate: `trust_required` until `lanes trust` (a signal, not a resolve),
 * or the lane fails as trust_gate after escalation.timeoutMs.
 */
export async function awaitTrust(run: LaneRun, trustedRoots: string[]): Promise<void> {
  const { packet, laneId, repoPath } = run;
  run.setState('trust_required', 'lane.trust_required', `${repoPath} is outside the trusted roots; waiting for \`lanes trust ${laneId}\``, { repoPath, trustedRoots }, 'trust_gate');
  await run.flush();
  const ok = await condition(() => run.trusted, packet.escalation.timeoutMs);
  if (!ok) throw new LaneStop('trust_gate', `not trusted within ${packet.escalation.timeoutMs} ms`);
  run.emit('lane.trust_resolved', `trusted by ${run.trustedBy ?? 'operator'}`, { repoPath, by: run.trustedBy });
}

export interface Gate {
  /** Advice shown instead of the class's default recommendation. */
  recommended?: string;
  /** Extra data for the lane.blocked event (e.g. the failing output's end). */
  data?: Record<string, unknown>;
  /** How to fix the cause (from the failure that blocked). */
  hint?: string | null;
}

/** The packet settings decideRecovery reads. */
export function recoverySettings(packet: LaneRun['packet']): RecoverySettings {
  return { recoveryAttempts: packet.escalation.recoveryAttempts, budgetMode: packet.budget.mode, staleness: packet.branch.staleness };
}

/** What a step does after `decide`: a recovery to execute, a warning to record, or the operator's resolution of a block. */
export type Decided = Exclude<RecoveryAction, { do: 'block' } | { do: 'fail' }> | { do: 'resolved'; resolution: Resolution };

/**
 * Asks decideRecovery (recovery.ts) about a failure at `step` and carries out
 * the outcomes every step shares: `fail` stops the lane (LaneStop), `block`
 * waits for `lanes resolve`. A recovery is recorded as lane.recovery.attempted
 * and returned for the step to execute.
 */
export async function decide(
  run: LaneRun,
  q: { step: LaneStep; cls: FailureClass; attemptsUsed: number; retryAfterSeconds?: number },
  why: string,
  gate: Gate = {},
): Promise<Decided> {
  const action = decideRecovery({ ...q, settings: recoverySettings(run.packet) });
  switch (action.do) {
    case 'fail':
      throw new LaneStop(q.cls, why, gate.hint);
    case 'block':
      return { do: 'resolved', resolution: await escalate(run, q.cls, why, { ...gate, approvable: action.approvable }) };
    case 'warn':
      return action;
    case 'rerun':
    case 'fixup_turn':
    case 'merge_forward':
    case 'recreate_worktree':
    case 'compact': {
      // Keeping the branch fresh is routine, recorded by the branch.* events; every other recovery is an event of its own.
      if (q.step === 'freshen') return action;
      const wait = action.do === 'rerun' && action.delayMs ? ` (waiting ${Math.round(action.delayMs / 1000)} s)` : '';
      run.emit('lane.recovery.attempted', `${q.step}: ${action.recipe} after ${q.cls}, attempt ${action.attempt}${wait}: ${why}`, { step: q.step, recipe: action.recipe, attempt: action.attempt, delayMs: action.do === 'rerun' ? action.delayMs : 0, ...gate.data }, q.cls);
      return action;
    }
    default:
      return assertNever(action);
  }
}

/** Waits in `blocked` for a resolution (or the escalation timeout). Only decide() calls it. */
async function escalate(run: LaneRun, cls: FailureClass, why: string, gate: Gate & { approvable: boolean }): Promise<Resolution> {
  const { packet } = run;
  run.failureClass = cls;
  run.blockerApprovable = gate.approvable;
  run.emit('lane.escalated', `escalated: ${why}`, { recoveryAttempts: packet.escalation.recoveryAttempts }, cls);
  // Cleared before the lane reads as blocked: from then on the validator accepts a
  // resolve (a webhook automation may send one during the flush below), and it must stick.
  run.resolution = null;
  run.setState('blocked', 'lane.blocked', why, { ...gate.data, recommended: gate.recommended ?? recommendationFor(cls), approvable: gate.approvable, hint: gate.hint ?? null }, cls);
  await run.flush();
  const resolved = await condition(() => run.resolution !== null, packet.escalation.timeoutMs);
  if (!resolved) throw new LaneStop(cls, `blocked for ${packet.escalation.timeoutMs} ms without a resolution: ${why}`);
  const r = run.resolution as unknown as Resolution;
  run.failureClass = null;
  run.blockerApprovable = false;
  run.setState('running', 'lane.resolved', `resolved with ${r.action}${r.note ? `: ${r.note}` : ''}`, { resolution: r.action });
  if (r.action === 'abort') throw new LaneStop(cls, `aborted by operator while blocked: ${why}`);
  return r;
}

/** How a step is run again: `compact` asks the model turn for a harder compaction. */
export interface StepAttempt {
  compact: boolean;
}

/**
 * Runs an activity step; a failure (not a cancellation) goes to decide():
 * re-run (after a backoff or an MCP restart), recreate the worktree and re-run,
 * re-run compacted, block until resolved (a --retry re-runs the step), or fail. `onFailure` sees each failure first (for its events).
 */
export async function withRecovery<T>(
  run: LaneRun,
  step: LaneStep,
  what: string,
  body: (attempt: StepAttempt) => Promise<T>,
  onFailure?: (cls: FailureClass, err: unknown) => void,
): Promise<T> {
  let attemptsUsed = 0;
  let compact = false;
  for (;;) {
    try {
      return await body({ compact });
    } catch (err) {
      if (isCancellation(err) || err instanceof LaneStop) throw err;
      const cls = classifyFailure(err);
      onFailure?.(cls, err);
      // The cause's own words and hint, never the wrapper's "Activity task failed".
      const next = await decide(run, { step, cls, attemptsUsed, retryAfterSeconds: failureDetails(err).retryAfterSeconds }, `${what} failed: ${innermostMessage(err)}`, { hint: failureHint(err) });
      // A resolved block re-runs the step; its attempts stay spent, so the same failure blocks again.
      if (next.do === 'resolved') continue;
      attemptsUsed += 1;
      await executeRecovery(run, next);
      if (next.do === 'compact') compact = true;
    }
  }
}

/** The part of a recovery that happens before its step runs again. */
async function executeRecovery(run: LaneRun, action: Exclude<Decided, { do: 'resolved' }>): Promise<void> {
  switch (action.do) {
    case 'rerun':
      if (action.delayMs) await sleep(action.delayMs);
      if (action.recipe === 'restart_mcp') await restartMcp(run);
      return;
    case 'recreate_worktree':
      await recreateWorktree(run);
      return;
    case 'compact':
      return;
    // Only the candidate step gets it from an activity: building the candidate again merges the target's new head.
    case 'merge_forward':
      return;
    // decideRecovery gives these only to the steps that run them (a red worktree run, the budget check), never to an activity step.
    case 'fixup_turn':
    case 'warn':
      throw new Error(`recovery ${action.do} cannot run inside an activity step`);
    default:
      assertNever(action);
  }
}

/** restart_mcp: the lane's MCP servers stopped and started afresh. */
export async function restartMcp(run: LaneRun): Promise<void> {
  await run.acts.misc.stopMcp({ laneId: run.laneId });
  if (Object.keys(run.packet.mcp.servers).length > 0) await run.acts.misc.startMcp({ laneId: run.laneId, servers: run.packet.mcp.servers });
}

/** recreate_worktree: the prepare path again; a missing or pruned worktree is checked out anew from the lane branch. */
export async function recreateWorktree(run: LaneRun): Promise<void> {
  const wt = await run.acts.git.prepareWorktree({ laneId: run.laneId, repoPath: run.repoPath, baseBranch: run.packet.repo.baseBranch, branch: run.branch });
  run.worktreePath = wt.worktreePath;
  run.emit('branch.workspace_mismatch', `worktree ${wt.worktreePath} ${wt.created ? 'recreated from' : 'found in place on'} lane branch ${wt.branch}`, { ...wt }, 'workspace_mismatch');
}
