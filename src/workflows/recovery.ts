// Recovery recipes (DESIGN.md §3 "Policy": a known failure gets one automatic
// recovery attempt, recorded as an event, then escalates). Recipes are data;
// the functions here only choose between them. Pure and workflow-safe.
import { assertNever, type FailureClass } from '../failures.js';

export const RECIPE_IDS = [
  'fixup_turn',
  'merge_forward',
  'compact_transcript',
  'restart_mcp',
  'backoff_retry',
  'retry_tool',
  'recreate_worktree',
  'none',
] as const;
export type RecipeId = (typeof RECIPE_IDS)[number];

/** Where a lane goes when recovery is used up (or never applied). */
export type EscalationTarget = 'blocked' | 'failed';

export interface Recipe {
  id: RecipeId;
  description: string;
  /**
   * Automatic attempts per unit of the packet's `escalation.recoveryAttempts`:
   * 1 = recoverable (the default packet gives exactly one attempt), 0 = never
   * recovered automatically, escalated at once.
   */
  maxAttempts: 0 | 1;
  /**
   * `blocked` waits for an operator (`lanes resolve`); `failed` ends the lane,
   * used where only a new packet can help, so a worktree is not held for nothing.
   */
  escalateTo: EscalationTarget;
}

const recipe = (id: Exclude<RecipeId, 'none'>, description: string): Recipe => ({ id, description, maxAttempts: 1, escalateTo: 'blocked' });

const FIXUP_TURN = recipe('fixup_turn', 'one fix-up agent turn with the failing command output, then re-run the levels');
const MERGE_FORWARD = recipe('merge_forward', 'merge the target head into the lane branch, then re-run the broad tests');
const COMPACT_TRANSCRIPT = recipe('compact_transcript', 'compact the transcript (elide old tool output) and retry the turn once');
const RESTART_MCP = recipe('restart_mcp', 'stop and start the MCP server once, then retry the handshake');
const BACKOFF_RETRY = recipe('backoff_retry', "wait (the provider's retry-after when given, else exponential backoff), then retry once");
const RETRY_TOOL = recipe('retry_tool', 'retry the failed tool call once; the agent sees the first error');
const RECREATE_WORKTREE = recipe('recreate_worktree', 'recreate the worktree from the lane branch at its last checkpoint commit');
const WAIT_FOR_OPERATOR: Recipe = { id: 'none', description: 'no automatic recovery: block for an operator', maxAttempts: 0, escalateTo: 'blocked' };
const NEEDS_NEW_PACKET: Recipe = { id: 'none', description: 'no automatic recovery: the packet must change, so the lane fails', maxAttempts: 0, escalateTo: 'failed' };
const STOP: Recipe = { id: 'none', description: 'no recovery: the lane was cancelled on request', maxAttempts: 0, escalateTo: 'failed' };

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
export const RECOVERY_RECIPES: Readonly<Record<FailureClass, Recipe>> = Object.freeze({
  prompt_delivery: recoveryFor('prompt_delivery'),
  trust_gate: recoveryFor('trust_gate'),
  branch_divergence: recoveryFor('branch_divergence'),
  merge_conflict: recoveryFor('merge_conflict'),
  compile: recoveryFor('compile'),
  test: recoveryFor('test'),
  mcp_config: recoveryFor('mcp_config'),
  mcp_startup: recoveryFor('mcp_startup'),
  mcp_handshake: recoveryFor('mcp_handshake'),
  plugin_startup: recoveryFor('plugin_startup'),
  tool_runtime: recoveryFor('tool_runtime'),
  provider_auth: recoveryFor('provider_auth'),
  provider_rate_limit: recoveryFor('provider_rate_limit'),
  provider_internal: recoveryFor('provider_internal'),
  context_window: recoveryFor('context_window'),
  budget: recoveryFor('budget'),
  validator: recoveryFor('validator'),
  manifest: recoveryFor('manifest'),
  workspace_mismatch: recoveryFor('workspace_mismatch'),
  infra: recoveryFor('infra'),
  cancelled: recoveryFor('cancelled'),
});

/** Backoff for `backoff_retry` without a retry-after: 30 s doubling per attempt, capped at 10 min. */
export const BACKOFF_BASE_MS = 30_000;
export const BACKOFF_MAX_MS = 600_000;

export interface NextStepInput {
  cls: FailureClass;
  /** Automatic recoveries already spent on this class in this lane. */
  attemptsUsed: number;
  /** packet.escalation.recoveryAttempts (0..5, default 1). */
  recoveryAttempts: number;
  /** From failureDetails(err).retryAfterSeconds; honoured by backoff_retry. */
  retryAfterSeconds?: number;
}

export type NextStep =
  | { action: 'recover'; recipe: Recipe; attempt: number; delayMs: number }
  | { action: 'escalate'; to: EscalationTarget; recipe: Recipe; reason: string };

/** How many automatic attempts a class gets under a packet's recovery setting. */
export function attemptLimit(cls: FailureClass, recoveryAttempts: number): number {
  return recoveryFor(cls).maxAttempts * Math.max(0, Math.floor(recoveryAttempts));
}

/** Wait before a backoff_retry: the provider's retry-after wins when it asks for longer. */
export function backoffDelayMs(attemptsUsed: number, retryAfterSeconds?: number): number {
  const exponential = Math.min(BACKOFF_BASE_MS * 2 ** Math.max(0, attemptsUsed), BACKOFF_MAX_MS);
  const asked = retryAfterSeconds !== undefined && Number.isFinite(retryAfterSeconds) && retryAfterSeconds > 0 ? retryAfterSeconds * 1000 : 0;
  return Math.max(exponential, Math.ceil(asked));
}

/** Recover while attempts remain (once by default), then escalate to the recipe's target. */
export function nextStep(input: NextStepInput): NextStep {
  const recipe = recoveryFor(input.cls);
  const limit = attemptLimit(input.cls, input.recoveryAttempts);
  if (input.attemptsUsed < limit) {
    return {
      action: 'recover',
      recipe,
      attempt: input.attemptsUsed + 1,
      delayMs: recipe.id === 'backoff_retry' ? backoffDelayMs(input.attemptsUsed, input.retryAfterSeconds) : 0,
    };
  }
  const reason =
    recipe.maxAttempts === 0
      ? `${input.cls} has no automatic recovery`
      : limit === 0
        ? `${input.cls}: recovery disabled (escalation.recoveryAttempts is 0)`
        : `${input.cls} persisted after ${input.attemptsUsed} ${recipe.id} attempt(s)`;
  return { action: 'escalate', to: recipe.escalateTo, recipe, reason };
}

export interface WarningContext {
  /** packet.budget.mode; only 'warn' makes a budget stop overridable. */
  budgetMode?: 'block' | 'warn';
}

/**
 * Whether `lanes resolve --approve` may override a lane blocked by this class.
 * Only gates the packet itself declared advisory are warning-level: today that
 * is `budget` under `budget.mode: warn`. Everything else is a hard gate — a
 * merge conflict, failing test, untrusted repo, manifest or validator breach is
 * never waved through; it takes `--retry` (after a fix) or `--abort`.
 */
export function isWarningLevel(cls: FailureClass, ctx: WarningContext = {}): boolean {
  switch (cls) {
    case 'budget':
      return ctx.budgetMode === 'warn';
    case 'prompt_delivery':
    case 'trust_gate':
    case 'branch_divergence':
    case 'merge_conflict':
    case 'compile':
    case 'test':
    case 'mcp_config':
    case 'mcp_startup':
    case 'mcp_handshake':
    case 'plugin_startup':
    case 'tool_runtime':
    case 'provider_auth':
    case 'provider_rate_limit':
    case 'provider_internal':
    case 'context_window':
    case 'validator':
    case 'manifest':
    case 'workspace_mismatch':
    case 'infra':
    case 'cancelled':
      return false;
    default:
      return assertNever(cls);
  }
}
