// The closed failure taxonomy (DESIGN.md §3). Pure and workflow-safe: imported by
// workflows, activities and the CLI alike, so every decision branches on one enum.
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';

export const FAILURE_CLASSES = [
  'prompt_delivery',
  'trust_gate',
  'branch_divergence',
  'merge_conflict',
  'compile',
  'test',
  'mcp_config',
  'mcp_startup',
  'mcp_handshake',
  'plugin_startup',
  'tool_runtime',
  'provider_auth',
  'provider_rate_limit',
  'provider_internal',
  'context_window',
  'budget',
  'review',
  'validator',
  'manifest',
  'workspace_mismatch',
  'infra',
  'cancelled',
] as const;

export const FailureClassSchema = z.enum(FAILURE_CLASSES);
export type FailureClass = z.infer<typeof FailureClassSchema>;

export function isFailureClass(value: unknown): value is FailureClass {
  return typeof value === 'string' && (FAILURE_CLASSES as readonly string[]).includes(value);
}

export function assertNever(value: never): never {
  throw new TypeError(`unhandled case: ${String(value)}`);
}

/**
 * Whether Temporal should retry an activity that failed with this class.
 * Transient infrastructure and provider hiccups retry; anything that needs a
 * different input (a human, a fix-up turn, a config change) does not.
 */
export function isRetryable(cls: FailureClass): boolean {
  switch (cls) {
    case 'provider_rate_limit':
    case 'provider_internal':
    case 'infra':
    case 'mcp_startup':
    case 'prompt_delivery':
      return true;
    case 'trust_gate':
    case 'branch_divergence':
    case 'merge_conflict':
    case 'compile':
    case 'test':
    case 'mcp_config':
    case 'mcp_handshake':
    case 'plugin_startup':
    case 'tool_runtime':
    case 'provider_auth':
    case 'context_window':
    case 'budget':
    case 'review':
    case 'validator':
    case 'manifest':
    case 'workspace_mismatch':
    case 'cancelled':
      return false;
    default:
      return assertNever(cls);
  }
}

export interface LaneFailureDetails {
  /** Provider request id, kept so an operator can quote it to the provider. */
  requestId?: string;
  /** Seconds the provider asked us to wait (HTTP retry-after). */
  retryAfterSeconds?: number;
  /** Short, operator-facing hint on what to do next. */
  hint?: string;
  [key: string]: unknown;
}

/**
 * The one factory for failures that cross Temporal: the class is the
 * ApplicationFailure `type`, so retry policies and dashboards can branch on it.
 */
export function laneFailure(cls: FailureClass, message: string, details: LaneFailureDetails = {}, cause?: Error): ApplicationFailure {
  const retryAfterMs = details.retryAfterSeconds !== undefined && details.retryAfterSeconds > 0 ? Math.ceil(details.retryAfterSeconds * 1000) : undefined;
  return ApplicationFailure.create({
    type: cls,
    message,
    details: [details],
    nonRetryable: !isRetryable(cls),
    cause,
    // The provider said when to come back: Temporal's next attempt waits that long.
    ...(retryAfterMs !== undefined && isRetryable(cls) ? { nextRetryDelay: retryAfterMs } : {}),
  });
}

/**
 * An error and its causes, outermost first, each object once (so a cyclic chain ends).
 * The one walker every reader of a cause chain uses: classes, details, messages, redaction.
 */
export function* causeChain(err: unknown): Generator<Record<string, unknown>> {
  const seen = new Set<unknown>();
  for (let cur: unknown = err; cur !== null && typeof cur === 'object' && !seen.has(cur); cur = (cur as { cause?: unknown }).cause) {
    seen.add(cur);
    yield cur as Record<string, unknown>;
  }
}

/**
 * The innermost failure class in an error chain: wrappers (ActivityFailure,
 * ChildWorkflowFailure, retry-exhausted errors) keep the class of what they wrap.
 */
export function classifyFailure(err: unknown, fallback: FailureClass = 'infra'): FailureClass {
  let found: FailureClass | undefined;
  for (const c of causeChain(err)) {
    if (isFailureClass(c.failureClass)) found = c.failureClass;
    else if (isFailureClass(c.type)) found = c.type;
    else if (c.name === 'CancelledFailure') found = found ?? 'cancelled';
  }
  return found ?? fallback;
}

/** The details object a laneFailure was built with, searched through the cause chain. */
export function failureDetails(err: unknown): LaneFailureDetails {
  let out: LaneFailureDetails = {};
  for (const c of causeChain(err)) {
    const d = c.details;
    if (Array.isArray(d) && d[0] && typeof d[0] === 'object') out = { ...out, ...(d[0] as LaneFailureDetails) };
  }
  return out;
}
