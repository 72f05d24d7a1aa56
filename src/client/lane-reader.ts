// Reading a lane, whatever carries the calls: the Temporal client over gRPC (lanes.ts) or
// the server's HTTP API (http-api.ts, no SDK loaded). `lanes status` and `lanes events`
// are written once against this, so both paths answer the same, errors included.
import { LanesError } from '../errors.js';
import type { LaneEvent } from '../workflows/events.js';
import type { LaneStatus } from '../workflows/lane/report.js';
import { FINAL_STATUS_MEMO, LANE_QUERIES } from '../workflows/lane/names.js';
import type { LaneSummary } from '../workflows/summary.js';
import { laneIdFor, workflowIdFor } from './lane-ids.js';

/** One lane's workflow, as a reader sees it. */
export interface LaneReader {
  /** The workflow's latest run as describe gives it; undefined when the workflow does not exist. */
  describe(): Promise<LaneDescription | undefined>;
  /**
   * A query's answer. A worker without a handler for it makes this throw an error named
   * QueryNotRegisteredError (the SDK's own, or one shaped like it).
   */
  query<T>(name: string, ...args: unknown[]): Promise<T>;
}

/** A lane's latest run: its status name (RUNNING, COMPLETED, CANCELLED, …), run id and memo (decoded). */
export interface LaneDescription {
  status: string;
  runId: string;
  memo: Record<string, unknown>;
}

/** What `lanes status` shows: the workflow status, the lane's summary and its state. */
export interface LaneStatusView {
  workflowStatus: string;
  summary: LaneSummary;
  state: LaneStatus;
}

/** The lane's latest run; a lane that does not exist is `not_found` (exit 1) with a hint. */
export async function describeLaneOn(reader: LaneReader, lane: string): Promise<LaneDescription> {
  if (!laneIdFor(lane.trim())) throw new LanesError('usage', `a lane id is required, got ${JSON.stringify(lane)}`, 'Pass the packet id of the lane (see `lanes list`).');
  const described = await reader.describe();
  if (described === undefined) throw new LanesError('not_found', `no lane ${laneIdFor(lane)}: workflow ${workflowIdFor(lane)} does not exist`, 'Check the id with `lanes list`.');
  return described;
}

/** The lane's workflow status; a lane that does not exist is `not_found` (exit 1) with a hint. */
export async function requireLaneOn(reader: LaneReader, lane: string): Promise<string> {
  return (await describeLaneOn(reader, lane)).status;
}

/**
 * requireLaneOn and a read of the lane side by side, one round trip instead of two: the
 * workflow status and what `read` returned. A lane that does not exist is `not_found`
 * (requireLaneOn's error wins over the read's).
 */
export async function readLaneOn<T>(reader: LaneReader, lane: string, read: (reader: LaneReader) => Promise<T>): Promise<{ workflowStatus: string; value: T }> {
  const [described, got] = await Promise.allSettled([requireLaneOn(reader, lane), read(reader)]);
  if (described.status === 'rejected') throw described.reason;
  if (got.status === 'rejected') throw got.reason;
  return { workflowStatus: described.value, value: got.value };
}

/** The `status` query (summary + state in one call); a worker built before it existed answers the two older queries. */
export async function statusQueryOn(reader: LaneReader): Promise<Omit<LaneStatusView, 'workflowStatus'>> {
  try {
    return await reader.query(LANE_QUERIES.status);
  } catch (e) {
    if ((e as Error | undefined)?.name !== 'QueryNotRegisteredError') throw e;
    const [summary, state] = await Promise.all([reader.query<LaneSummary>(LANE_QUERIES.summary), reader.query<LaneStatus>(LANE_QUERIES.state)]);
    return { summary, state };
  }
}

/**
 * The `status` answer a closed run recorded in its memo as it ended (closeout.ts), or
 * undefined: the run is still open (or continued as new), ended before lanes recorded it,
 * or the memo was inherited from another run.
 */
export function finalStatusFrom(d: LaneDescription): Omit<LaneStatusView, 'workflowStatus'> | undefined {
  if (d.status === 'RUNNING' || d.status === 'CONTINUED_AS_NEW') return undefined;
  const m = d.memo[FINAL_STATUS_MEMO] as { runId?: unknown; summary?: unknown; state?: unknown } | null | undefined;
  if (!m || typeof m !== 'object' || m.runId !== d.runId || !m.summary || typeof m.summary !== 'object' || !m.state || typeof m.state !== 'object') return undefined;
  return { summary: m.summary as LaneSummary, state: m.state as LaneStatus };
}

/**
 * A lane's status. A closed lane answers from describe alone (its final status is in the
 * memo); otherwise the `status` query is asked once after describe (on a closed lane without
 * the memo a worker replays the history to answer).
 */
export async function laneStatusOn(reader: LaneReader, lane: string): Promise<LaneStatusView> {
  const described = await describeLaneOn(reader, lane);
  const value = finalStatusFrom(described) ?? (await statusQueryOn(reader));
  return { workflowStatus: described.status, ...value };
}

/** The lane's events after `after`, as the `events` query answers them (laneEventsAfter completes them from the log). */
export function eventsQueryOn(reader: Pick<LaneReader, 'query'>, after: number): Promise<LaneEvent[]> {
  return reader.query<LaneEvent[]>(LANE_QUERIES.events, after);
}
