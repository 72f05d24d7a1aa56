// Timeouts and retries of every activity the lane calls, in one place, each with
// its unit and its reason. Durations are Temporal duration strings ('30s') or
// milliseconds (numbers). Retries here cover infrastructure hiccups; failures
// that need a decision are non-retryable (failures.ts isRetryable) and reach
// the recovery policy (recovery.ts) instead.
import { ActivityCancellationType, type ActivityOptions, proxyActivities } from '@temporalio/workflow';
import type { TaskPacket } from '../../packet/schema.js';
import type { LanesActivities } from '../../worker/activities.js';

/**
 * Shared-queue steps (claiming a host): any worker may run them. 30 s bounds a
 * call that only touches local state; 5 attempts 1 s apart ride out a worker restart.
 */
export const SHARED_PROFILE: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumAttempts: 5 },
};

/**
 * Webhook delivery retries inside the activity (with its own backoff) and never
 * throws, so one attempt here; 1 min bounds all of its deliveries together.
 */
export const WEBHOOK_PROFILE: ActivityOptions = { startToCloseTimeout: '1m', retry: { maximumAttempts: 1 } };

/** Infrastructure retries on the lane's host: 5 attempts, the first after 1 s. */
const HOST_RETRY = { initialInterval: '1s', maximumAttempts: 5 } as const;

/**
 * A cancelled lane waits for its running command to be killed (tests and tools kill their
 * process group on cancellation) before closeout removes the worktree under it.
 */
const WAIT_CANCEL = ActivityCancellationType.WAIT_CANCELLATION_COMPLETED;

/**
 * A host that has not sent a heartbeat for 15 s is gone: the attempt times out and
 * is retried, even when the in-flight reaper has no record of it. Every activity
 * with a heartbeat timeout heartbeats every 3 s from the worker (src/worker/liveness.ts),
 * reaching the server at least every 5 s (src/worker/tuning.ts).
 */
const HEARTBEAT_TIMEOUT = '15s';

/** The level-wide test timeout: 4 x the per-command timeout (ms), at least 1 min. */
export function testLevelTimeoutMs(packet: TaskPacket): number {
  return Math.max(packet.acceptance.timeoutMs * 4, 60_000);
}

/**
 * Host-bound steps run on the lane's host queue (its worktree and MCP processes
 * live there). `rehomeAfterMs` is the schedule-to-start timeout: a step nobody
 * picks up that long means the host is gone and the lane re-homes (hosts.ts).
 */
export function hostProfiles(taskQueue: string, packet: TaskPacket, rehomeAfterMs: number) {
  const base = { taskQueue, scheduleToStartTimeout: rehomeAfterMs };
  return {
    /** git: worktree, commits, merges, landing. 2 min bounds a checkout of a large repo (50k files: seconds); heartbeats catch a dead host in 15 s. */
    git: { ...base, startToCloseTimeout: '2m', heartbeatTimeout: HEARTBEAT_TIMEOUT, retry: HOST_RETRY },
    /**
     * model: one agent turn. 10 min bounds a slow completion; a provider hiccup
     * retries with backoff 2 s, 4 s, ... capped at 1 min (the provider's
     * retry-after wins, via nextRetryDelay), 5 attempts.
     */
    model: {
      ...base,
      startToCloseTimeout: '10m',
      heartbeatTimeout: HEARTBEAT_TIMEOUT,
      retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 5 },
    },
    /** tools: one tool call (bash, MCP). 15 min bounds a long command. */
    tools: { ...base, startToCloseTimeout: '15m', heartbeatTimeout: HEARTBEAT_TIMEOUT, retry: HOST_RETRY, cancellationType: WAIT_CANCEL },
    /** tests: one acceptance level; per-command timeouts are enforced inside, this bounds the level (ms). */
    tests: { ...base, startToCloseTimeout: testLevelTimeoutMs(packet), heartbeatTimeout: HEARTBEAT_TIMEOUT, retry: HOST_RETRY, cancellationType: WAIT_CANCEL },
    /** misc: trust check, MCP start/stop, events and report files. 2 min bounds an MCP start with its one restart. */
    misc: { ...base, startToCloseTimeout: '2m', heartbeatTimeout: HEARTBEAT_TIMEOUT, retry: HOST_RETRY },
    /**
     * agent: one external agent pass (claude_code, codex, command; docs/agents.md), bounded by the
     * packet's agent.passTimeoutMs plus 1 min to start and clean up. A retry (a worker that died
     * mid-pass) resumes the agent's session; 3 attempts, backoff as for model turns.
     */
    agent: {
      ...base,
      startToCloseTimeout: packet.agent.passTimeoutMs + 60_000,
      heartbeatTimeout: HEARTBEAT_TIMEOUT,
      retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 3 },
    },
  } satisfies Record<string, ActivityOptions>;
}

export type HostGroup = keyof ReturnType<typeof hostProfiles>;
export type HostActivities = Record<HostGroup, LanesActivities>;

export function hostActivities(queue: string, packet: TaskPacket, rehomeAfterMs: number): HostActivities {
  const p = hostProfiles(queue, packet, rehomeAfterMs);
  return {
    git: proxyActivities<LanesActivities>(p.git),
    model: proxyActivities<LanesActivities>(p.model),
    tools: proxyActivities<LanesActivities>(p.tools),
    tests: proxyActivities<LanesActivities>(p.tests),
    misc: proxyActivities<LanesActivities>(p.misc),
    agent: proxyActivities<LanesActivities>(p.agent),
  };
}
