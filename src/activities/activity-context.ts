// Host-side code runs both inside Temporal activities and outside them (CLI, tests,
// benchmarks). These helpers reach the activity context only when there is one.
import { Context } from '@temporalio/activity';

/** The current activity context, or undefined outside an activity. */
export function currentActivity(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/** The activity's cancellation signal, or undefined outside an activity. */
export function activityCancellationSignal(): AbortSignal | undefined {
  return currentActivity()?.cancellationSignal;
}

/**
 * Heartbeats every `intervalMs` with fresh details while work runs (Temporal throttles
 * further); a no-op outside an activity. Returns the function that stops it.
 */
export function startHeartbeat(details: () => unknown, intervalMs: number): () => void {
  const ctx = currentActivity();
  if (!ctx) return () => {};
  const beat = () => {
    const d = details();
    latest.set(ctx, d);
    ctx.heartbeat(d);
  };
  beat();
  const timer = setInterval(beat, intervalMs);
  return () => clearInterval(timer);
}

// The details each running activity last heartbeated, so the worker's liveness
// heartbeats (src/worker/liveness.ts) re-send them instead of overwriting them.
const latest = new WeakMap<Context, unknown>();

export function lastHeartbeatDetails(ctx: Context): unknown {
  return latest.get(ctx);
}

/**
 * If the activity was cancelled, throws the SDK's cancellation reason (a CancelledFailure)
 * so Temporal records a cancel rather than a result.
 */
export function throwIfActivityCancelled(): void {
  const signal = activityCancellationSignal();
  if (signal?.aborted) throw signal.reason;
}
