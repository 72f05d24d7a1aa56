// Waiting for a lane from a script (`lanes wait`): polls the lane's state and events
// until it reaches the target, ends elsewhere, or the timeout passes.
import type { Client } from '@temporalio/client';
import { EVENT_TYPES, type EventType, type LaneEvent } from '../workflows/events.js';
import { eventsQuery, stateQuery } from '../workflows/lane/api.js';
import { isTerminal, LANE_STATES, type LaneState } from '../workflows/state.js';
import { handleFor, laneIdFor } from './lanes.js';

export type WaitTarget = { kind: 'state'; state: LaneState } | { kind: 'event'; type: EventType } | { kind: 'ended' };

export const WAIT_TARGETS_HELP = `a state (${LANE_STATES.join(', ')}), an event type (e.g. lane.merged, lane.approval.requested), or "ended"`;

/** The target a `--for` value names, or undefined when it names nothing. */
export function parseWaitTarget(value: string): WaitTarget | undefined {
  if (value === 'ended') return { kind: 'ended' };
  if ((LANE_STATES as readonly string[]).includes(value)) return { kind: 'state', state: value as LaneState };
  if ((EVENT_TYPES as readonly string[]).includes(value)) return { kind: 'event', type: value as EventType };
  return undefined;
}

export interface WaitOutcome {
  laneId: string;
  for: string;
  reached: boolean;
  /** reached: the target; ended: the lane ended without reaching it; timeout: the time ran out. */
  outcome: 'reached' | 'ended' | 'timeout';
  state: LaneState | null;
  workflowStatus: string;
  /** The event that satisfied an event target. */
  event?: LaneEvent;
  waitedMs: number;
}

/**
 * Blocks until `target` is reached. An event target counts events after `afterSeq`
 * (0: the lane's whole history). Query errors (no worker at the moment) are skipped.
 */
export async function waitForLane(client: Client, lane: string, target: WaitTarget, opts: { timeoutMs?: number; afterSeq?: number; pollMs?: number; label: string }): Promise<WaitOutcome> {
  const handle = handleFor(client, lane);
  const started = Date.now();
  let after = opts.afterSeq ?? 0;
  let state: LaneState | null = null;
  const outcome = (o: WaitOutcome['outcome'], workflowStatus: string, event?: LaneEvent): WaitOutcome => ({
    laneId: laneIdFor(lane),
    for: opts.label,
    reached: o === 'reached',
    outcome: o,
    state,
    workflowStatus,
    ...(event ? { event } : {}),
    waitedMs: Date.now() - started,
  });
  for (;;) {
    const status = (await handle.describe()).status.name;
    try {
      if (target.kind === 'event') {
        for (const e of await handle.query(eventsQuery, after)) {
          after = e.seq;
          state = e.state;
          if (e.type === target.type) return outcome('reached', status, e);
        }
      }
      state = (await handle.query(stateQuery)).state;
    } catch {
      // No worker to answer right now (or the run is between continue-as-new runs): poll on.
    }
    const ended = status !== 'RUNNING';
    // A closed lane nobody can query (no worker): its workflow status says how it ended.
    if (ended && (state === null || !isTerminal(state))) state = status === 'COMPLETED' ? 'finished' : 'failed';
    if (target.kind === 'ended' && ended) return outcome('reached', status);
    if (target.kind === 'state' && state === target.state) return outcome('reached', status);
    if (ended) return outcome('ended', status);
    if (opts.timeoutMs !== undefined && Date.now() - started >= opts.timeoutMs) return outcome('timeout', status);
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 300));
  }
}
