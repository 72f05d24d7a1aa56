// What a lane does after a failure — the one file that answers it.
//
// Every step of a lane (lane/*.ts) that fails asks `decideRecovery` and does
// what it says; nothing else in the workflow decides. The answer depends on
// four things only: which step failed, the failure class, how many automatic
// recoveries this step already spent, and the packet's settings.
//
//   "What happens when tests fail twice?"  The first red run gets a fix-up
//   turn (the agent sees the failing output, then the levels run again); the
//   second red run — with the default `escalation.recoveryAttempts: 1` — blocks
//   the lane with class `test` until `lanes resolve --retry` or `--abort`.
//
//   "When does a lane block vs fail?"  It BLOCKS (waits for a person, keeps its
//   worktree) when a person can unblock it: a conflict, credentials, spend, a
//   review, a failure recovery did not fix. It FAILS (ends, closeout runs) when
//   only a new packet can help (`validator`, `manifest`, `mcp_config`), when the
//   merge candidate is red (the target stays unchanged), when preparation fails
//   (nothing exists yet to wait on), when the packet says so
//   (`branch.staleness: fail`), on cancel, and when a block ends in `--abort`
//   or `escalation.timeoutMs` without an answer.
//
// docs/policy.md renders `decisionTable()`; test/unit/workflows/recovery.test.ts
// fails when the two disagree. Pure and workflow-safe.
import { assertNever, type FailureClass, FAILURE_CLASSES } from '../failures.js';

export const RECIPE_IDS = ['fixup_turn', 'merge_forward', 'compact_transcript', 'restart_mcp', 'backoff_retry', 'retry_tool', 'recreate_worktree', 'none'] as const;
export type RecipeId = (typeof RECIPE_IDS)[number];

/** Where a lane goes when recovery is used up (or never applied). */
export type EscalationTarget = 'blocked' | 'failed';

export interface Recipe {
  id: RecipeId;
  description: string;
  /** Automatic attempts per unit of the packet's `escalation.recoveryAttempts` (0 = escalate at once). */
  maxAttempts: 0 | 1;
  /** `blocked` waits for an operator (`lanes resolve`); `failed` ends the lane (only a new packet helps). */
  escalateTo: EscalationTarget;
  /** Whether `lanes resolve --approve` may wave the block through (only a review: a person's judgement is the gate). */
  approvable: boolean;
}

const recipe = (id: Exclude<RecipeId, 'none'>, description: string): Recipe => ({ id, description, maxAttempts: 1, escalateTo: 'blocked', approvable: false });
const none = (description: string, escalateTo: EscalationTarget, approvable = false): Recipe => ({ id: 'none', description, maxAttempts: 0, escalateTo, approvable });

const FIXUP_TURN = recipe('fixup_turn', 'one fix-up agent pass with the failing command output, then re-run the levels');
const MERGE_FORWARD = recipe('merge_forward', "merge the base (or, landing, the target's new head) into the lane's work, then re-run the step");
const COMPACT_TRANSCRIPT = recipe('compact_transcript', 'retry the turn with every old tool output elided (beyond the compaction the turn already did)');
const RESTART_MCP = recipe('restart_mcp', "stop and start the lane's MCP servers, then retry");
const BACKOFF_RETRY = recipe('backoff_retry', "wait (the provider's retry-after when given, else exponential backoff), then re-run the step");
const RETRY_TOOL = recipe('retry_tool', 're-run the failed step (tool call or agent pass) once');
const RECREATE_WORKTREE = recipe('recreate_worktree', 'recreate the worktree from the lane branch (its checkpoint commits), then re-run the step');
const WAIT_FOR_OPERATOR = none('no automatic recovery: block for an operator', 'blocked');
const WAIT_FOR_REVIEW = none('no automatic recovery: a person reviews, then approves or aborts', 'blocked', true);
const NEEDS_NEW_PACKET = none('no automatic recovery: the packet must change, so the lane fails', 'failed');
const STOP = none('no recovery: the lane was cancelled on request', 'failed');

/** The recipe for a failure class. A new class fails the build here until it is decided. */
export function recoveryFor(cls: FailureClass): Recipe {
  switch (cls) {
    case 'test':
    case 'compile':
      return FIXUP_TURN;
    case 'branch_divergence':
      return MERGE_FORWARD;
    case 'context_window':
      return COMPACT_TRANSCRIPT;
    case 'mcp_startup':
    case 'mcp_handshake':
    case 'plugin_startup':
      return RESTART_MCP;
    // Temporal already retried these (isRetryable); one paced lane-level retry more.
    case 'provider_rate_limit':
    case 'provider_internal':
    case 'prompt_delivery':
    case 'infra':
      return BACKOFF_RETRY;
    case 'tool_runtime':
      return RETRY_TOOL;
    case 'workspace_mismatch':
      return RECREATE_WORKTREE;
    // A human decides: conflicts, credentials, spend, trust.
    case 'merge_conflict':
    case 'provider_auth':
    case 'budget':
    case 'trust_gate':
      return WAIT_FOR_OPERATOR;
    case 'review':
      return WAIT_FOR_REVIEW;
    // The fix is a corrected packet under a new id (recommendationFor says so).
    case 'mcp_config':
    case 'validator':
    case 'manifest':
      return NEEDS_NEW_PACKET;
    case 'cancelled':
      return STOP;
    default:
      return assertNever(cls);
  }
}

/** Every class with its recipe: the table docs/policy.md renders. */
export const RECOVERY_RECIPES: Readonly<Record<FailureClass, Recipe>> = Object.freeze(
  Object.fromEntries(FAILURE_CLASSES.map((cls) => [cls, recoveryFor(cls)])) as Record<FailureClass, Recipe>,
);

/** Backoff for `backoff_retry` without a retry-after: 30 s doubling per attempt, capped at 10 min. */
export const BACKOFF_BASE_MS = 30_000;
export const BACKOFF_MAX_MS = 600_000;

/**
 * Candidate rebuilds when the target moves during landing, before the lane blocks (per `--retry`).
 * Seven (eight attempts): with many lanes on one target, lanes on one host take turns
 * (src/git/landing-slot.ts) and lose a race only to a landing from another host, so a lane
 * among ten on two hosts loses about five at most (the production suite's ten-lane test).
 */
export const LANDING_REBUILDS = 7;

/** Where in the lane a failure happened (each lane/*.ts step names itself). */
export const LANE_STEPS = ['prepare', 'trust', 'mcp', 'model_turn', 'tool_call', 'agent_pass', 'tests', 'freshen', 'budget', 'landing', 'candidate'] as const;
export type LaneStep = (typeof LANE_STEPS)[number];

/** The packet settings a decision reads. */
export interface RecoverySettings {
  /** packet.escalation.recoveryAttempts (0..5, default 1). */
  recoveryAttempts: number;
  /** packet.budget.mode. */
  budgetMode: 'block' | 'warn';
  /** packet.branch.staleness. */
  staleness: 'merge_forward' | 'rebase' | 'fail' | 'ignore';
}

export interface RecoveryQuestion {
  step: LaneStep;
  cls: FailureClass;
  /** Automatic recoveries this step already spent (a `--retry` does not give them back: the same failure blocks again). */
  attemptsUsed: number;
  settings: RecoverySettings;
  /** From failureDetails(err).retryAfterSeconds; honoured by backoff_retry. */
  retryAfterSeconds?: number;
}

/** What the step does next. The first five recover (and record `lane.recovery.attempted`). */
export type RecoveryAction =
  | { do: 'rerun'; recipe: 'backoff_retry' | 'retry_tool' | 'restart_mcp'; attempt: number; delayMs: number }
  | { do: 'fixup_turn'; recipe: 'fixup_turn'; attempt: number }
  | { do: 'merge_forward'; recipe: 'merge_forward'; attempt: number }
  | { do: 'recreate_worktree'; recipe: 'recreate_worktree'; attempt: number }
  | { do: 'compact'; recipe: 'compact_transcript'; attempt: number }
  /** Go on, recording a warning (a budget in warn mode). */
  | { do: 'warn'; reason: string }
  | { do: 'block'; approvable: boolean; reason: string }
  | { do: 'fail'; reason: string };

export type ActionKind = RecoveryAction['do'];

/** Wait before a backoff_retry: the provider's retry-after wins when it asks for longer. */
export function backoffDelayMs(attemptsUsed: number, retryAfterSeconds?: number): number {
  const exponential = Math.min(BACKOFF_BASE_MS * 2 ** Math.max(0, attemptsUsed), BACKOFF_MAX_MS);
  const asked = retryAfterSeconds !== undefined && Number.isFinite(retryAfterSeconds) && retryAfterSeconds > 0 ? retryAfterSeconds * 1000 : 0;
  return Math.max(exponential, Math.ceil(asked));
}

/** How many automatic attempts a class gets under a packet's recovery setting. */
export function attemptLimit(cls: FailureClass, recoveryAttempts: number): number {
  return recoveryFor(cls).maxAttempts * Math.max(0, Math.floor(recoveryAttempts));
}

/** The recovery decision: one answer for every (step, class, attempts used, packet settings). */
export function decideRecovery(q: RecoveryQuestion): RecoveryAction {
  const { step, cls, attemptsUsed, settings } = q;
  const r = recoveryFor(cls);
  const attempt = attemptsUsed + 1;
  const limit = attemptLimit(cls, settings.recoveryAttempts);
  const left = attemptsUsed < limit;
  const giveUp = (why: string): RecoveryAction => {
    // Nothing exists yet to wait on, and a red merge candidate means the lane's work is wrong against the target.
    if (r.escalateTo === 'failed' || step === 'prepare' || ((step === 'candidate' || step === 'landing') && (cls === 'test' || cls === 'compile'))) return { do: 'fail', reason: why };
    return { do: 'block', approvable: r.approvable, reason: why };
  };
  const usedUp = () =>
    giveUp(limit === 0 ? `${cls}: recovery disabled (escalation.recoveryAttempts is 0)` : `${cls} persisted after ${attemptsUsed} ${r.id} attempt(s)`);
  // A gate the packet declared advisory never blocks.
  if (cls === 'budget' && settings.budgetMode === 'warn') return { do: 'warn', reason: 'budget.mode is warn' };
  switch (r.id) {
    case 'none':
      return giveUp(`${cls} has no automatic recovery`);
    case 'fixup_turn':
      // Only a red worktree run can be fixed by the agent; red on the candidate or below the required level ends the lane.
      if (step !== 'tests') return giveUp(`${cls} at ${step}: a fix-up turn only follows a red worktree run`);
      return left ? { do: 'fixup_turn', recipe: r.id, attempt } : usedUp();
    case 'merge_forward':
      // Behind the base: the packet's branch.staleness decides, whatever recoveryAttempts says.
      if (step === 'freshen') {
        if (settings.staleness === 'fail') return { do: 'fail', reason: "the lane branch is behind its base and the packet's branch.staleness is fail" };
        if (settings.staleness === 'ignore') return { do: 'warn', reason: 'branch.staleness is ignore' };
        return { do: 'merge_forward', recipe: r.id, attempt };
      }
      // The target moved under the candidate: rebuild it from the new head, a fixed number of times per --retry.
      if (step === 'candidate') return attemptsUsed < LANDING_REBUILDS ? { do: 'merge_forward', recipe: r.id, attempt } : giveUp(`the target moved ${attempt} times while the lane was landing`);
      return giveUp(`${cls} at ${step}: only the lane branch (freshen) or the merge candidate can be merged forward`);
    case 'compact_transcript':
      if (step !== 'model_turn') return giveUp(`${cls} at ${step}: only a model turn can be compacted`);
      return left ? { do: 'compact', recipe: r.id, attempt } : usedUp();
    case 'restart_mcp':
    case 'backoff_retry':
    case 'retry_tool':
      if (!left) return usedUp();
      return { do: 'rerun', recipe: r.id, attempt, delayMs: r.id === 'backoff_retry' ? backoffDelayMs(attemptsUsed, q.retryAfterSeconds) : 0 };
    case 'recreate_worktree':
      // Preparing IS creating the worktree; the candidate step acts in the target's checkout, which Lanes never recreates.
      if (step === 'prepare' || step === 'candidate') return giveUp(`${cls} at ${step}: not the lane worktree, nothing to recreate`);
      return left ? { do: 'recreate_worktree', recipe: r.id, attempt } : usedUp();
    default:
      return assertNever(r.id);
  }
}

/** The settings of the default packet. */
export const DEFAULT_SETTINGS: RecoverySettings = { recoveryAttempts: 1, budgetMode: 'block', staleness: 'merge_forward' };

/** One row of the decision table docs/policy.md shows: a class at a step, first and second failure, default and 0 attempts. */
export interface DecisionRow {
  cls: FailureClass;
  step: LaneStep;
  first: string;
  second: string;
  noRecovery: string;
}

/** How docs/policy.md names an action. */
export function actionLabel(a: RecoveryAction): string {
  switch (a.do) {
    case 'rerun':
      return `re-run (${a.recipe})`;
    case 'fixup_turn':
      return 'fix-up turn';
    case 'merge_forward':
      return 'merge forward';
    case 'recreate_worktree':
      return 'recreate worktree';
    case 'compact':
      return 'compact';
    case 'warn':
      return 'warn, go on';
    case 'block':
      return a.approvable ? 'block (approvable)' : 'block';
    case 'fail':
      return 'fail';
    default:
      return assertNever(a);
  }
}

/** The step where each class is usually met (the table's row); other steps are in `STEP_ROWS`. */
const TYPICAL_STEP: Record<FailureClass, LaneStep> = {
  prompt_delivery: 'model_turn',
  trust_gate: 'trust',
  branch_divergence: 'freshen',
  merge_conflict: 'freshen',
  compile: 'tests',
  test: 'tests',
  mcp_config: 'mcp',
  mcp_startup: 'mcp',
  mcp_handshake: 'mcp',
  plugin_startup: 'mcp',
  tool_runtime: 'tool_call',
  provider_auth: 'model_turn',
  provider_rate_limit: 'model_turn',
  provider_internal: 'model_turn',
  context_window: 'model_turn',
  budget: 'budget',
  review: 'landing',
  validator: 'prepare',
  manifest: 'landing',
  workspace_mismatch: 'tests',
  infra: 'tests',
  cancelled: 'agent_pass',
};

/** Rows beyond one per class: the same class where its step changes the answer. */
const STEP_ROWS: readonly [FailureClass, LaneStep][] = [
  ['test', 'candidate'],
  ['branch_divergence', 'candidate'],
  ['workspace_mismatch', 'candidate'],
  ['workspace_mismatch', 'prepare'],
  ['infra', 'prepare'],
];

function row(cls: FailureClass, step: LaneStep, settings: RecoverySettings = DEFAULT_SETTINGS): DecisionRow {
  const ask = (attemptsUsed: number, s: RecoverySettings) => actionLabel(decideRecovery({ step, cls, attemptsUsed, settings: s }));
  return { cls, step, first: ask(0, settings), second: ask(1, settings), noRecovery: ask(0, { ...settings, recoveryAttempts: 0 }) };
}

/** The decision table: every class at its typical step, then the step-specific rows. */
export function decisionTable(): DecisionRow[] {
  return [...FAILURE_CLASSES.map((cls) => row(cls, TYPICAL_STEP[cls])), ...STEP_ROWS.map(([cls, step]) => row(cls, step))];
}

/** Rows where a packet setting other than recoveryAttempts changes the answer. */
export function settingRows(): { setting: string; cls: FailureClass; step: LaneStep; action: string }[] {
  const at = (setting: string, cls: FailureClass, step: LaneStep, over: Partial<RecoverySettings>) => ({
    setting,
    cls,
    step,
    action: actionLabel(decideRecovery({ step, cls, attemptsUsed: 0, settings: { ...DEFAULT_SETTINGS, ...over } })),
  });
  return [
    at('budget.mode: warn', 'budget', 'budget', { budgetMode: 'warn' }),
    at('branch.staleness: ignore', 'branch_divergence', 'freshen', { staleness: 'ignore' }),
    at('branch.staleness: fail', 'branch_divergence', 'freshen', { staleness: 'fail' }),
  ];
}
