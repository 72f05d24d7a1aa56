// The failure classes (DESIGN.md §3) and how an error chain is classified. No Temporal SDK
// here, so the CLI's error mapping and its read path over the HTTP API load none;
// failures.ts re-exports all of it beside what builds Temporal failures (laneFailure).
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
