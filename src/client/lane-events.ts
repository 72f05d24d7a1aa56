// A lane's events, complete and in order. The lane's `events` query answers from
// memory, and continue-as-new carries only the newest events (CARRIED_EVENTS),
// so a reader that asks for older ones gets the rest from the lane's
// events.jsonl, which holds every event the lane wrote.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LanesError } from '../errors.js';
import { type LaneEvent, LaneEventSchema } from '../workflows/events.js';
import { eventsQueryOn, type LaneReader } from './lane-reader.js';

/** Events with seq > `after`: the query's (over gRPC or HTTP, or an SDK handle), preceded by the logged ones it no longer holds. */
export async function laneEventsAfter(reader: Pick<LaneReader, 'query'>, laneId: string, after: number, home?: string): Promise<LaneEvent[]> {
  const batch = await eventsQueryOn(reader, after);
  const first = batch[0];
  if (!first || first.seq <= after + 1) return batch;
  return [...loggedEvents(laneId, after, first.seq, home), ...batch];
}

/** Events after < seq < before from the lane folder's events.jsonl; exactly those, or a clear error. */
export function loggedEvents(laneId: string, after: number, before: number, home?: string): LaneEvent[] {
  const file = home ? join(home, 'lanes', laneId, 'events.jsonl') : '';
  const missing = (why: string) =>
    new LanesError(
      'unavailable',
      `events ${after + 1}..${before - 1} of lane ${laneId} are no longer held by the workflow (it continued as new) and ${why}`,
      'Run the command on the lane\'s host (with its LANES_HOME), or read lanes/<lane>/events.jsonl there.',
    );
  if (!file || !existsSync(file)) throw missing(`${file || 'no LANES_HOME'} has no events.jsonl for it`);
  const out: LaneEvent[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const seq = (JSON.parse(line) as { seq?: unknown }).seq;
    if (typeof seq !== 'number' || seq <= after || seq >= before) continue;
    out.push(LaneEventSchema.parse(JSON.parse(line)));
  }
  // Gap-free or nothing: a reader never sees a log with holes.
  if (out.length !== before - after - 1 || out.some((e, i) => e.seq !== after + 1 + i)) throw missing(`${file} does not hold all of them`);
  return out;
}
