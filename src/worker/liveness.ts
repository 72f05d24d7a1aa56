// Liveness heartbeats for every activity. A worker that dies (SIGKILL, OOM, power)
// stops heartbeating, so the server times the attempt out after the activity's
// heartbeat timeout (≤ 15 s for host-bound steps) and retries it — even when the
// in-flight reaper (src/worker/inflight.ts) has no record of the attempt, e.g. a
// task the dead worker had polled but not yet recorded. Steps that heartbeat with
// progress details of their own keep them: this re-sends the latest details.
import type { Context as ActivityContext } from '@temporalio/activity';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { lastHeartbeatDetails } from '../activities/activity-context.js';

/** Liveness beat interval: a quarter of the heartbeat timeout, at most this often. */
export const LIVENESS_MIN_INTERVAL_MS = 1_000;
export const LIVENESS_MAX_INTERVAL_MS = 3_000;

export function livenessInterval(heartbeatTimeoutMs: number): number {
  return Math.min(LIVENESS_MAX_INTERVAL_MS, Math.max(LIVENESS_MIN_INTERVAL_MS, Math.floor(heartbeatTimeoutMs / 4)));
}

/** Heartbeats every running activity that has a heartbeat timeout, until it settles. */
export function livenessInterceptor(): ActivityInterceptorsFactory {
  return (ctx: ActivityContext) => ({
    inbound: {
      async execute(input, next) {
        const timeoutMs = ctx.info.heartbeatTimeoutMs;
        // Without a heartbeat timeout the SDK says an activity must not heartbeat.
        if (!timeoutMs) return next(input);
        const beat = () => ctx.heartbeat(lastHeartbeatDetails(ctx) ?? { alive: ctx.info.activityType });
        beat();
        const timer = setInterval(beat, livenessInterval(timeoutMs));
        try {
          return await next(input);
        } finally {
          clearInterval(timer);
        }
      },
    },
  });
}
