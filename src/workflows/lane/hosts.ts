// The lane's host (DESIGN.md §1): host-bound steps run on the queue of the host
// that holds the worktree. When that host stops picking up steps, the lane
// claims a live one, recreates its worktree there from the lane branch (its
// checkpoint commits) and goes on.
import { ActivityFailure, proxyActivities, TimeoutFailure } from '@temporalio/workflow';
import type { LanesActivities } from '../../worker/activities.js';
import { type HostGroup, hostActivities, SHARED_PROFILE } from './activity-profiles.js';
import { DEFAULT_REHOME_AFTER_MS } from './api.js';
import type { LaneRun } from './run.js';

const sharedActs = proxyActivities<LanesActivities>(SHARED_PROFILE);

export async function claimHost(run: LaneRun): Promise<string> {
  return (await sharedActs.claimHost({ laneId: run.laneId })).hostQueue;
}

const isHostLost = (err: unknown) =>
  err instanceof ActivityFailure && err.cause instanceof TimeoutFailure && err.cause.timeoutType === 'SCHEDULE_TO_START';

/** Step arguments with the lost host's worktree path (a top-level field equal to it) replaced. */
function onNewHost(args: unknown[], from: string, to: string): unknown[] {
  return args.map((a) =>
    a && typeof a === 'object' && !Array.isArray(a) ? Object.fromEntries(Object.entries(a).map(([k, v]) => [k, v === from ? to : v])) : a,
  );
}

/**
 * Binds `run.acts` to the run's host: host-bound activities that follow the
 * lane to a new host when its host is lost. A continued run keeps its host.
 */
export function bindHost(run: LaneRun): void {
  const rehomeAfterMs = run.input.rehomeAfterMs ?? DEFAULT_REHOME_AFTER_MS;
  let hostActs = hostActivities(run.hostQueue!, run.packet, rehomeAfterMs);
  let rehoming: Promise<void> | null = null;

  const rehome = async (step: string) => {
    const from = run.hostQueue!;
    run.hostQueue = await claimHost(run);
    hostActs = hostActivities(run.hostQueue, run.packet, rehomeAfterMs);
    if (run.worktreePath) {
      run.worktreePath = (await hostActs.git.prepareWorktree({ laneId: run.laneId, repoPath: run.repoPath, baseBranch: run.packet.repo.baseBranch, branch: run.branch })).worktreePath;
    }
    // The new host's events.jsonl may be empty: write the whole log there.
    run.flushedSeq = 0;
    run.emit('lane.rehomed', `${step} waited ${rehomeAfterMs} ms for ${from}; the lane moved to ${run.hostQueue}`, { from, to: run.hostQueue, step });
  };

  const follow = (group: HostGroup) =>
    new Proxy(
      {},
      {
        get: (_target, name: string) =>
          async (...args: unknown[]) => {
            for (;;) {
              const fn = (hostActs[group] as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[name]!;
              const worktreeBefore = run.worktreePath;
              try {
                return await fn(...args);
              } catch (err) {
                if (!isHostLost(err)) throw err;
                // Concurrent steps share one re-homing.
                rehoming ??= rehome(`${group}.${name}`).finally(() => (rehoming = null));
                await rehoming;
                // The retried step acts in the new host's worktree, not in the lost host's path.
                if (worktreeBefore && run.worktreePath && run.worktreePath !== worktreeBefore) args = onNewHost(args, worktreeBefore, run.worktreePath);
              }
            }
          },
      },
    ) as LanesActivities;

  run.acts = { git: follow('git'), model: follow('model'), tools: follow('tools'), tests: follow('tests'), misc: follow('misc'), agent: follow('agent') };
}
