// Reading a lane, whatever carries the calls: the Temporal client over gRPC (lanes.ts) or
// the server's HTTP API (http-api.ts, no SDK loaded). `lanes status` and `lanes events`
// are written once against this, so both paths answer the same, errors included.
import { LanesError } from '../errors.js';
import type { LaneEvent } from '../workflows/events.js';
import type { LaneStatus } from '../workflows/lane/report.js';
import { LANE_QUERIES } from '../workflows/lane/names.js';
import type { LaneSummary } from '../workflows/summary.js';
import { laneIdFor, workflowIdFor } from './lane-ids.js';

/** One lane's workflow, as a reader sees it. */
export interface LaneReader {
  /** The workflow status name (RUNNING, COMPLETED, CANCELLED, …); undefined when the workflow does not exist. */
  status(): Promise<string | undefined>;
  /**
   * A query's answer. A worker without a handler for it makes this throw an error named
   * QueryNotRegisteredError (the SDK's own, or one shaped like it).
   */
  query<T>(name: string, ...args: unknown[]): Promise<T>;
}

/** What `lanes status` shows: the workflow status, the lane's summary and its state. */
export interface LaneStatusView {
  workflowStatus: string;
  summary: LaneSummary;
  state: LaneStatus;
}

/** The lane's workflow status; a lane that does not exist is `not_found` (exit 1) with a hint. */
export async function requireLaneOn(reader: LaneReader, lane: string): Promise<string> {
  if (!laneIdFor(lane.trim())) throw new LanesError('usage', `a lane id is required, got ${JSON.stringify(lane)}`, 'Pass the packet id of the lane (see `lanes list`).');
  const status = await reader.status();
  if (status === undefined) throw new LanesError('not_found', `no lane ${laneIdFor(lane)}: workflow ${workflowIdFor(lane)} does not exist`, 'Check the id with `lanes list`.');
  return status;
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

/** A lane's status: the `status` query asked once (on a closed lane a worker replays the history to answer). */
export async function laneStatusOn(reader: LaneReader, lane: string): Promise<LaneStatusView> {
  const { workflowStatus, value } = await readLaneOn(reader, lane, statusQueryOn);
  return { workflowStatus, ...value };
}

/** The lane's events after `after`, as the `events` query answers them (laneEventsAfter completes them from the log). */
export function eventsQueryOn(reader: Pick<LaneReader, 'query'>, after: number): Promise<LaneEvent[]> {
  return reader.query<LaneEvent[]>(LANE_QUERIES.events, after);
}
