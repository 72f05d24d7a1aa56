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

/**
 * How a worker process is started by `lanes up`, `lanes worker --supervise` and the
 * benchmark (a bare `lanes worker` runs with whatever node flags it was given; the
 * service example in docs/performance.md passes these). Measured at 50 lanes in flight
 * (docs/performance.md "Worker at 50 lanes in flight"): the worker process peaked at
 * 429-469 MB with node's defaults, 309-339 MB with both (plus ~65 MB for its git host).
 * - A young generation of 4 MB semi-spaces instead of 16 MB, in both isolates (the
 *   main one and the workflow thread's): ~24 MB less each; the extra scavenges did not
 *   show in lanes/min or worker CPU against 8 MB semi-spaces, which held ~20 MB more.
 * - Two malloc arenas instead of glibc's 8 per core: the Rust core's and libuv's
 *   threads otherwise each grow an arena of their own (~40 MB).
 * Flags the caller passes itself come later and win; so do variables already set.
 */
export const WORKER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4'];
export const WORKER_PROCESS_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };
