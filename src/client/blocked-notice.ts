// What a blocked lane waits for, read from its events (no Temporal SDK: `lanes events` renders it).
import type { LaneEvent } from '../workflows/events.js';
import { laneIdFor } from './lane-ids.js';

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
