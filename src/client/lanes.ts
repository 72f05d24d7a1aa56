// Lane operations shared by CLI commands and the demo: submit (idempotent by
// packet id), attach, follow events, wait for the report.
import { randomUUID } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { temporalClient } from './temporal-sdk.js';

const { CancelledFailure, WorkflowExecutionAlreadyStartedError, WorkflowFailedError, WorkflowNotFoundError } = temporalClient;
import { LanesError } from '../errors.js';
import { failureHint, innermostMessage } from '../workflows/failure-text.js';
import { classifyFailure } from '../failures.js';
import { packetFingerprint } from '../packet/fingerprint.js';
import type { TaskPacket } from '../packet/schema.js';
import { LANE_BRANCH, LANE_PACKET_ID, LANE_REPO, LANE_STATE } from '../shared/search-attributes.js';
import type { LaneEvent } from '../workflows/events.js';
import { laneStaticDetails } from '../workflows/lane/details.js';
import { laneEventsAfter } from './lane-events.js';
import { eventsQuery, LANE_WORKFLOW_TYPE, type LaneReport, type LaneWorkflow, stateQuery } from '../workflows/lane/api.js';
import { type BlockedNotice, blockedNoticeOf } from './blocked-notice.js';
import { laneIdFor, workflowIdFor } from './lane-ids.js';
import { type LaneReader, laneStatusOn, type LaneStatusView, requireLaneOn, statusQueryOn } from './lane-reader.js';
import { isTerminal } from '../workflows/state.js';

export type LanePacket = TaskPacket & { id: string };

export { laneIdFor, workflowIdFor } from './lane-ids.js';
export { type BlockedNotice, blockedNoticeOf } from './blocked-notice.js';
export type { LaneStatusView } from './lane-reader.js';

/**
 * Gives the packet its id and absolute repo path (relative paths are relative to
 * the packet file), so the fingerprint and the worker see the same thing.
 */
export function normalizePacket(packet: TaskPacket, baseDir: string): LanePacket {
  const id = packet.id ?? `p-${randomUUID().slice(0, 12)}`;
  // A remote is the same URL on every host: nothing to resolve (the schema checked its form).
  if (packet.repo.url !== undefined) return { ...packet, id };
  const repoPath = isAbsolute(packet.repo.path!) ? packet.repo.path! : resolve(baseDir, packet.repo.path!);
  return { ...packet, id, repo: { ...packet.repo, path: repoPath } };
}

export interface SubmitResult {
  laneId: string;
  workflowId: string;
  runId: string;
  attached: boolean;
}

async function existingFingerprint(client: Client, workflowId: string): Promise<{ fingerprint?: string; runId: string } | undefined> {
  try {
    const d = await client.workflow.getHandle(workflowId).describe();
    return { fingerprint: d.memo?.fingerprint as string | undefined, runId: d.runId };
  } catch (e) {
    if (e instanceof WorkflowNotFoundError) return undefined;
    throw e;
  }
}

export interface SubmitOptions {
  historyEventLimit?: number;
  rehomeAfterMs?: number;
  /** Runs only when a new lane is about to start (never when attaching); throwing refuses it. */
  preflight?: () => Promise<unknown>;
  /** The web board's base URL: the lane's Details link to its page there. */
  boardUrl?: string;
}

/** What every run of a lane is started with besides its input: memo, search attributes, summary. */
export function laneStartLabels(packet: LanePacket, fingerprint: string, boardUrl?: string) {
  const laneId = packet.id;
  return {
    memo: { fingerprint, packetId: laneId, objective: packet.objective.slice(0, 200) },
    typedSearchAttributes: [
      { key: LANE_PACKET_ID, value: laneId },
      { key: LANE_STATE, value: 'spawning' },
      { key: LANE_REPO, value: packet.repo.path ?? packet.repo.url! },
      { key: LANE_BRANCH, value: packet.branch.name ?? `lanes/${laneId}` },
    ],
    staticSummary: `lane ${laneId}: ${packet.objective.split('\n')[0]!.slice(0, 120)}`,
    staticDetails: laneStaticDetails(packet, boardUrl),
  };
}

export async function submitLane(client: Client, taskQueue: string, packet: LanePacket, opts: SubmitOptions = {}): Promise<SubmitResult> {
  const laneId = packet.id;
  const workflowId = workflowIdFor(laneId);
  const fingerprint = packetFingerprint(packet);
  const check = async (): Promise<SubmitResult | undefined> => {
    const existing = await existingFingerprint(client, workflowId);
    if (!existing) return undefined;
    if (existing.fingerprint !== fingerprint) {
      throw new LanesError('conflict', `packet id "${laneId}" is already used by lane ${workflowId} with different content`,
        'Resubmit the identical packet to attach to that lane, or give this packet a new id.');
    }
    return { laneId, workflowId, runId: existing.runId, attached: true };
  };
  const attached = await check();
  if (attached) return attached;
  await opts.preflight?.();
  try {
    const handle = await client.workflow.start<LaneWorkflow>(LANE_WORKFLOW_TYPE, {
      taskQueue,
      workflowId,
      args: [{ laneId, packet, fingerprint, ...(opts.historyEventLimit ? { historyEventLimit: opts.historyEventLimit } : {}), ...(opts.rehomeAfterMs ? { rehomeAfterMs: opts.rehomeAfterMs } : {}) }],
      // A lane id is used once: never re-run a closed lane, attach to a running one
      // (only `lanes restart` starts a failed lane's id again: restart-failed.ts).
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      workflowIdConflictPolicy: 'FAIL',
      ...laneStartLabels(packet, fingerprint, opts.boardUrl),
    });
    return { laneId, workflowId, runId: handle.firstExecutionRunId, attached: false };
  } catch (e) {
    if (e instanceof WorkflowExecutionAlreadyStartedError) {
      // Lost a race with an identical submit (or the lane is closed): attach after the same check.
      const again = await check();
      if (again) return again;
    }
    throw e;
  }
}

function handleFor(client: Client, lane: string): WorkflowHandle<LaneWorkflow> {
  return client.workflow.getHandle<LaneWorkflow>(workflowIdFor(lane));
}

/** A LaneReader over gRPC: the SDK's handle (describe, query). */
export function handleReader(handle: WorkflowHandle<LaneWorkflow>): LaneReader {
  return {
    async describe() {
      try {
        const d = await handle.describe();
        // The SDK decodes the memo with the client's data converter (payload codec included).
        return { status: d.status.name, runId: d.runId, memo: d.memo ?? {} };
      } catch (e) {
        if (e instanceof WorkflowNotFoundError) return undefined;
        throw e;
      }
    },
    query: <T>(name: string, ...args: unknown[]) => handle.query<T, unknown[]>(name, ...args),
  };
}

/**
 * The lane's workflow status; a lane that does not exist is `not_found` (exit 1) with a hint.
 * Commands that change a lane use it to refuse a closed or unknown one with an error that says so.
 */
export function requireLane(client: Client, lane: string): Promise<string> {
  return requireLaneOn(handleReader(handleFor(client, lane)), lane);
}

/** A lane's status: the `status` query asked once (on a closed lane a worker replays the history to answer). */
export function laneStatusOf(client: Client, lane: string): Promise<LaneStatusView> {
  return laneStatusOn(handleReader(handleFor(client, lane)), lane);
}

/** The `status` query (summary + state in one call); a worker built before it existed answers the two older queries. */
export function queryStatus(handle: WorkflowHandle<LaneWorkflow>): Promise<Omit<LaneStatusView, 'workflowStatus'>> {
  return statusQueryOn(handleReader(handle));
}

export async function requireOpenLane(client: Client, lane: string, action: string): Promise<void> {
  const status = await requireLane(client, lane);
  if (status !== 'RUNNING') {
    throw new LanesError('conflict', `lane ${laneIdFor(lane)} has already ended (workflow ${status}); nothing to ${action}`, 'See `lanes status <lane>` for its outcome; submit the work again under a new packet id.');
  }
}

/** The final report: from the result, or from the failure's details when the lane failed. */
export async function waitForReport(client: Client, lane: string): Promise<LaneReport> {
  const handle = handleFor(client, lane);
  try {
    return await handle.result();
  } catch (e) {
    if (e instanceof WorkflowFailedError) {
      const details = (e.cause as { details?: unknown[] } | undefined)?.details?.[0] as { report?: LaneReport } | LaneReport | undefined;
      const report = details && 'report' in details ? details.report : (details as LaneReport | undefined);
      if (report && typeof report === 'object' && 'laneId' in report) return report;
      // The SDK drops a cancelled workflow's CancelledFailure details (it completes with an
      // empty cancelWorkflowExecution command), so the report of a cancelled lane is read
      // back from its `state` query, which a worker answers by replaying the closed run.
      if (e.cause instanceof CancelledFailure) {
        const st = await handle.query(stateQuery).catch(() => undefined);
        if (st?.report) return st.report;
        throw new LanesError('lane_failed', `lane ${laneIdFor(lane)} was cancelled; its report could not be read back`, 'Start a worker (`lanes worker`) and run `lanes status` again, or read report.json in the lane folder.', 'cancelled', { cause: e });
      }
      // No report (e.g. terminated, or failed before it had one): the cause's own words, never "Workflow execution failed".
      throw new LanesError('lane_failed', `lane ${laneIdFor(lane)} failed: ${innermostMessage(e)}`, failureHint(e) ?? 'See `lanes events <lane>` and `lanes logs <lane>` for what happened.', classifyFailure(e), { cause: e });
    }
    throw e;
  }
}

/** Streams events live (polling the `events` query) until the lane is terminal. */
export async function followEvents(
  client: Client,
  lane: string,
  onEvent: (e: LaneEvent) => 'stop' | unknown,
  opts: { afterSeq?: number; pollMs?: number; signal?: AbortSignal; home?: string } = {},
): Promise<'ended' | 'stopped'> {
  const handle = handleFor(client, lane);
  let after = opts.afterSeq ?? 0;
  for (;;) {
    const batch = await laneEventsAfter(handle, laneIdFor(lane), after, opts.home);
    for (const e of batch) {
      after = e.seq;
      if (onEvent(e) === 'stop') return 'stopped';
    }
    const st = await handle.query(stateQuery);
    if (isTerminal(st.state) && st.lastSeq <= after && st.report) return 'ended';
    const desc = await handle.describe();
    if (desc.status.name !== 'RUNNING' && st.lastSeq <= after) return 'ended';
    if (opts.signal?.aborted) return 'stopped';
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 500));
  }
}

export { handleFor };

const stopWaiting = Symbol('stop waiting');

/**
 * waitForReport that also announces every block: `onBlocked` runs the moment the lane
 * blocks (or waits for trust); returning 'stop' ends the wait with that notice. Events are
 * polled beside the result long-poll and query errors (no worker right now) are skipped,
 * so a wait never fails because the announcement could not be read.
 */
export async function waitAnnouncingBlocks(
  client: Client,
  lane: string,
  onBlocked: (n: BlockedNotice) => 'stop' | void,
  opts: { pollMs?: number } = {},
): Promise<LaneReport | BlockedNotice> {
  const handle = handleFor(client, lane);
  const done = new AbortController();
  let stopped: BlockedNotice | undefined;
  let wake: (v: typeof stopWaiting) => void = () => undefined;
  const stopper = new Promise<typeof stopWaiting>((r) => (wake = r));
  const poll = async () => {
    let after = 0;
    while (!done.signal.aborted) {
      try {
        // Only a block still standing at the end of a batch is announced (an old, resolved
        // one is history); each block is announced once.
        let standing: BlockedNotice | undefined;
        for (const e of await handle.query(eventsQuery, after)) {
          after = e.seq;
          standing = blockedNoticeOf(e) ?? (e.type === 'lane.resolved' || e.type === 'lane.trust_resolved' ? undefined : standing);
        }
        if (standing && onBlocked(standing) === 'stop') {
          stopped = standing;
          wake(stopWaiting);
          return;
        }
      } catch {
        // No worker to answer right now; the result long-poll still stands.
      }
      await new Promise((r) => setTimeout(r, opts.pollMs ?? 1_000));
    }
  };
  void poll();
  try {
    const first = await Promise.race([waitForReport(client, lane), stopper]);
    return first === stopWaiting ? stopped! : first;
  } finally {
    done.abort();
  }
}
