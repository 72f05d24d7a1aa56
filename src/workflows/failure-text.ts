// What a failure says to a person: the innermost cause's own message and hint, never the
// wrapper text Temporal puts around it ("Activity task failed", "Workflow execution
// failed"). Pure and workflow-safe.
import { causeChain, failureDetails } from '../failures.js';

const WRAPPERS = /^(Activity task failed|Workflow execution failed|Child Workflow execution failed|Activity task timed out|Workflow execution timed out)$/i;


/** The message of the deepest failure in `err`'s cause chain that says something of its own. */
export function innermostMessage(err: unknown): string {
  let found: string | undefined;
  let activity: string | undefined;
  for (const c of causeChain(err)) {
    if (typeof c.activityType === 'string') activity = c.activityType;
    const message = typeof c.message === 'string' ? c.message.trim() : '';
    if (c.name === 'TimeoutFailure') {
      const kind = typeof c.timeoutType === 'string' ? c.timeoutType.toLowerCase().replace(/_/g, '-') : 'a';
      found = `${activity ?? 'a step'} hit its ${kind} timeout`;
    } else if (message && !WRAPPERS.test(message)) found = message;
  }
  if (found) return found;
  return err instanceof Error && err.message ? err.message : String(err);
}

/** The hint a failure carries (from a laneFailure's details anywhere in the chain), or null. */
export function failureHint(err: unknown): string | null {
  const hint = failureDetails(err).hint;
  return typeof hint === 'string' && hint.trim() ? hint : null;
}
