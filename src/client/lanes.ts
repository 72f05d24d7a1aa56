// Lane operations shared by CLI commands and the demo: submit (idempotent by
// packet id), attach, follow events, wait for the report.
import { randomUUID } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import { CancelledFailure, type Client, WorkflowExecutionAlreadyStartedError, WorkflowFailedError, WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { LanesError } from '../errors.js';
import { packetFingerprint } from '../packet/fingerprint.js';
import type { TaskPacket } from '../packet/schema.js';
import { LANE_BRANCH, LANE_PACKET_ID, LANE_REPO, LANE_STATE } from '../shared/search-attributes.js';
import type { LaneEvent } from '../workflows/events.js';
import { eventsQuery, LANE_WORKFLOW_TYPE, type LaneReport, type LaneWorkflow, stateQuery } from '../workflows/lane/api.js';
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
 * the packet file), so the fingerprint and the worker see the same thing. `source`
 * names the packet in errors, like the parser's messages.
 */
export function normalizePacket(packet: TaskPacket, baseDir: string, source = 'packet'): LanePacket {
  if (packet.repo.url !== undefined) {
    throw new LanesError('validation', `${source}: repo.url: remote repositories are not supported by this version of lanes`, 'Clone the repository locally and set repo.path instead.');
  }
  const repoPath = isAbsolute(packet.repo.path!) ? packet.repo.path! : resolve(baseDir, packet.repo.path!);
  return { ...packet, id: packet.id ?? `p-${randomUUID().slice(0, 12)}`, repo: { ...packet.repo, path: repoPath } };
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

export async function submitLane(client: Client, taskQueue: string, packet: LanePacket, opts: { historyEventLimit?: number; rehomeAfterMs?: number } = {}): Promise<SubmitResult> {
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
  try {
    const handle = await client.workflow.start<LaneWorkflow>(LANE_WORKFLOW_TYPE, {
      taskQueue,
      workflowId,
      args: [{ laneId, packet, fingerprint, ...(opts.historyEventLimit ? { historyEventLimit: opts.historyEventLimit } : {}), ...(opts.rehomeAfterMs ? { rehomeAfterMs: opts.rehomeAfterMs } : {}) }],
      // A lane id is used once: never re-run a closed lane, attach to a running one.
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      workflowIdConflictPolicy: 'FAIL',
      memo: { fingerprint, packetId: laneId, objective: packet.objective.slice(0, 200) },
      typedSearchAttributes: [
        { key: LANE_PACKET_ID, value: laneId },
        { key: LANE_STATE, value: 'spawning' },
        { key: LANE_REPO, value: packet.repo.path! },
        { key: LANE_BRANCH, value: packet.branch.name ?? `lanes/${laneId}` },
      ],
      staticSummary: `lane ${laneId}: ${packet.objective.split('\n')[0]!.slice(0, 120)}`,
      staticDetails: `repo: ${packet.repo.path}\nbase: ${packet.repo.baseBranch}\nprovider: ${packet.agent.provider}${packet.agent.provider === 'scripted' ? ' (scripted, offline)' : ''} ${packet.agent.model}`,
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
  try {
    return (await handleFor(client, lane).describe()).status.name;
  } catch (e) {
    if (e instanceof WorkflowNotFoundError) {
      throw new LanesError('not_found', `no lane ${laneIdFor(lane)}: workflow ${workflowIdFor(lane)} does not exist`, 'Check the id with `lanes list`.');
    }
    throw e;
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
    }
    throw e;
  }
}

/** Streams events live (polling the `events` query) until the lane is terminal. */
export async function followEvents(client: Client, lane: string, onEvent: (e: LaneEvent) => void, opts: { afterSeq?: number; pollMs?: number; signal?: AbortSignal } = {}): Promise<void> {
  const handle = handleFor(client, lane);
  let after = opts.afterSeq ?? 0;
  for (;;) {
    const batch = await handle.query(eventsQuery, after);
    for (const e of batch) {
      onEvent(e);
      after = e.seq;
    }
    const st = await handle.query(stateQuery);
    if (isTerminal(st.state) && st.lastSeq <= after && st.report) return;
    const desc = await handle.describe();
    if (desc.status.name !== 'RUNNING' && st.lastSeq <= after) return;
    if (opts.signal?.aborted) return;
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 500));
  }
}

export { handleFor };
