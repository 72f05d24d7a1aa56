// Lane operations shared by CLI commands and the demo: submit (idempotent by
// packet id), attach, follow events, wait for the report.
import { randomUUID } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { temporalClient } from './temporal-sdk.js';

const { CancelledFailure, QueryNotRegisteredError, WorkflowExecutionAlreadyStartedError, WorkflowFailedError, WorkflowNotFoundError } = temporalClient;
import { LanesError } from '../errors.js';
import { failureHint, innermostMessage } from '../workflows/failure-text.js';
import { classifyFailure } from '../failures.js';
import { packetFingerprint } from '../packet/fingerprint.js';
import type { TaskPacket } from '../packet/schema.js';
import { LANE_BRANCH, LANE_PACKET_ID, LANE_REPO, LANE_STATE } from '../shared/search-attributes.js';
import type { LaneEvent } from '../workflows/events.js';
import { laneStaticDetails } from '../workflows/lane/details.js';
import { laneEventsAfter } from './lane-events.js';
import { eventsQuery, LANE_WORKFLOW_TYPE, type LaneReport, type LaneStatus, type LaneWorkflow, stateQuery, statusQuery, summaryQuery } from '../workflows/lane/api.js';
import type { LaneSummary } from '../workflows/summary.js';
import { isTerminal } from '../workflows/state.js';

export type LanePacket = TaskPacket & { id: string };

export function workflowIdFor(laneIdOrWorkflowId: string): string {
  return laneIdOrWorkflowId.startsWith('lane-') ? laneIdOrWorkflowId : `lane-${laneIdOrWorkflowId}`;
}

export function laneIdFor(laneIdOrWorkflowId: string): string {
  return laneIdOrWorkflowId.startsWith('lane-') ? laneIdOrWorkflowId.slice('lane-'.length) : laneIdOrWorkflowId;
}

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

/**
 * Refuses to signal or update a lane whose workflow is closed or unknown, with an error
 * that says so (Temporal's own is a bare "workflow execution already completed").
 */
/** The lane's workflow status; a lane that does not exist is `not_found` (exit 1) with a hint. */
export async function requireLane(client: Client, lane: string): Promise<string> {
  if (!laneIdFor(lane.trim())) throw new LanesError('usage', `a lane id is required, got ${JSON.stringify(lane)}`, 'Pass the packet id of the lane (see `lanes list`).');
  try {
    return (await handleFor(client, lane).describe()).status.name;
  } catch (e) {
    if (e instanceof WorkflowNotFoundError) {
      throw new LanesError('not_found', `no lane ${laneIdFor(lane)}: workflow ${workflowIdFor(lane)} does not exist`, 'Check the id with `lanes list`.');
    }
    throw e;
  }
}

/** What `lanes status` shows: the workflow status, the lane's summary and its state. */
export interface LaneStatusView {
  workflowStatus: string;
  summary: LaneSummary;
  state: LaneStatus;
}

/**
 * requireLane and a read of the lane side by side, one round trip instead of two: the
 * workflow status and what `read` returned. A lane that does not exist is `not_found`
 * (requireLane's error wins over the read's).
 */
export async function readLane<T>(client: Client, lane: string, read: (handle: WorkflowHandle<LaneWorkflow>) => Promise<T>): Promise<{ workflowStatus: string; value: T }> {
  const [described, got] = await Promise.allSettled([requireLane(client, lane), read(handleFor(client, lane))]);
  if (described.status === 'rejected') throw described.reason;
  if (got.status === 'rejected') throw got.reason;
  return { workflowStatus: described.value, value: got.value };
}

/** A lane's status: the `status` query asked once (on a closed lane a worker replays the history to answer). */
export async function laneStatusOf(client: Client, lane: string): Promise<LaneStatusView> {
  const { workflowStatus, value } = await readLane(client, lane, queryStatus);
  return { workflowStatus, ...value };
}

/** The `status` query (summary + state in one call); a worker built before it existed answers the two older queries. */
export async function queryStatus(handle: WorkflowHandle<LaneWorkflow>): Promise<Omit<LaneStatusView, 'workflowStatus'>> {
  try {
    return await handle.query(statusQuery);
  } catch (e) {
    // A worker built before the `status` query existed answers the two it has.
    if (!(e instanceof QueryNotRegisteredError)) throw e;
    const [summary, state] = await Promise.all([handle.query(summaryQuery), handle.query(stateQuery)]);
    return { summary, state };
  }
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

/** A lane that stopped to wait for an operator, and the exact command that moves it on. */
export interface BlockedNotice {
  laneId: string;
  state: 'blocked' | 'trust_required';
  failureClass: string | null;
  detail: string;
  next: string;
  seq: number;
}

/** The notice for a lane.blocked or lane.trust_required event; undefined for any other event. */
export function blockedNoticeOf(e: LaneEvent): BlockedNotice | undefined {
  if (e.type !== 'lane.blocked' && e.type !== 'lane.trust_required') return undefined;
  const laneId = laneIdFor(e.laneId);
  const recommended = typeof e.data.recommended === 'string' ? e.data.recommended : `\`lanes trust ${laneId}\` once the repository is reviewed`;
  return {
    laneId,
    state: e.type === 'lane.blocked' ? 'blocked' : 'trust_required',
    failureClass: e.failureClass ?? null,
    detail: e.detail,
    next: recommended.replaceAll('<lane>', laneId),
    seq: e.seq,
  };
}

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
