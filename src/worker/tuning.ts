// Worker tuning, set deliberately (docs/performance.md "Worker tuning" has the
// measurements behind each value). A lane's activities mostly wait on child
// processes (git, tests) and HTTP (the model), so one 2-core worker can run many
// at once; workflow tasks are short and CPU-bound, so their slots stay modest.
import type { WorkerOptions } from '@temporalio/worker';

export const WORKER_TUNING = {
  /** 50 lanes in flight each run at most one activity at a time (plus a webhook). */
  maxConcurrentActivityTaskExecutions: 100,
  /** Workflow tasks are CPU work in one thread: more slots than cores only queue up. */
  maxConcurrentWorkflowTaskExecutions: 40,
  /** Every in-flight lane stays cached (no replay per task); ~1-2 MB each. */
  maxCachedWorkflows: 200,
  /**
   * Heartbeats reach the server at least every 5 s (the SDK's default throttle is
   * 80% of the heartbeat timeout, up to 60 s): three chances inside a 15 s timeout.
   */
  maxHeartbeatThrottleInterval: '5s',
  defaultHeartbeatThrottleInterval: '5s',
} satisfies Partial<WorkerOptions>;
