// The closed failure taxonomy (DESIGN.md §3). Pure and workflow-safe: imported by
// workflows, activities and the CLI alike, so every decision branches on one enum.
// The classes themselves live in failure-classes.ts (no Temporal SDK: the CLI's read path).
import { ApplicationFailure } from '@temporalio/common';
import { assertNever, causeChain, type FailureClass } from './failure-classes.js';

export * from './failure-classes.js';

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

/** The details object a laneFailure was built with, searched through the cause chain. */
export function failureDetails(err: unknown): LaneFailureDetails {
  let out: LaneFailureDetails = {};
  for (const c of causeChain(err)) {
    const d = c.details;
    if (Array.isArray(d) && d[0] && typeof d[0] === 'object') out = { ...out, ...(d[0] as LaneFailureDetails) };
  }
  return out;
}
