// The lane's public surface: what starts a lane, what it carries across
// continue-as-new, what it reports, and the messages it answers. The client,
// the drill and chaos import this module, never the workflow body.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { AgentTurn } from '../../agents/stream.js';
import type { TaskPacket } from '../../packet/schema.js';
import type { LaneEvent } from '../events.js';
import type { GreenLevel, LaneState } from '../state.js';
import type { LaneSummary } from '../summary.js';
import type { LaneCommit, LaneReport, LaneStatus, LaneUsage } from './report.js';
import { LANE_QUERIES } from './names.js';

// The result shapes are zod schemas in report.ts; their types are part of this surface.
export type { LaneCommit, LandedCommit, LaneReport, LaneStatus, LaneUsage } from './report.js';
import type { FailedLaneRestart, QueuedMessage } from './steering-api.js';

export * from './steering-api.js';

export interface LaneInput {
  laneId: string;
  /** Parsed packet with defaults applied and `id` set. */
  packet: TaskPacket & { id: string };
  fingerprint: string;
  /** Continue-as-new once history has this many events (the server's suggestion also counts). */
  historyEventLimit?: number;
  /** Re-home when a host-bound step waits this long for its host (default 5 min). */
  rehomeAfterMs?: number;
  /** Events continue-as-new carries (default CARRIED_EVENTS); older ones are read from events.jsonl. */
  carriedEvents?: number;
  /** Set only by continue-as-new: where the previous run stopped. */
  resume?: LaneResume;
  /** Set only by `lanes restart` of a failed lane: a new run that starts from the failed one's state. */
  restart?: FailedLaneRestart;
}

/** Where the agent/test loop is: pass number, turn within it, fix-up turns spent. */
export interface LaneLoop {
  pass: number;
  turnInPass: number;
  recoveries: number;
  extraPrompt?: string;
}

/** Everything a lane carries across continue-as-new (at a boundary between agent turns). */
export interface LaneResume {
  startedAt: string;
  /** The newest events only (at most `carriedEvents`, contiguous); all of them are in events.jsonl. */
  events: LaneEvent[];
  /** The last event's seq (absent in resumes written before the window: the last carried event's). */
  lastSeq?: number;
  /** Older events the summary still needs (the last checkpoint, the last with a failure class). */
  anchors?: LaneEvent[];
  flushedSeq: number;
  commits: LaneCommit[];
  usage: LaneUsage;
  scripted: boolean;
  worktreePath: string;
  hostQueue: string;
  state: LaneState;
  greenLevel: GreenLevel;
  turn: number;
  testRun: number;
  promptAccepted: boolean;
  compactionEmitted: boolean;
  loop: LaneLoop;
  /** Budget limits already warned about (warn mode): each warns once per lane. */
  budgetWarned?: string[];
  /** Budget limits an operator lifted with `lanes resolve --retry` (block mode). */
  budgetLifted?: string[];
  /** Operator messages not yet delivered to the agent (`lanes send`), and how many arrived. */
  inbox?: QueuedMessage[];
  messagesReceived?: number;
  /** The agent's transcript starts at this turn (set by `lanes restart`; absent: turn 1). */
  transcriptFrom?: number;
}

/** Events carried across continue-as-new: the input stays far below Temporal's payload limit. */
export const CARRIED_EVENTS = 500;

/** Continue-as-new once history has this many events (unless the server suggests it earlier). */
export const DEFAULT_HISTORY_EVENT_LIMIT = 10_000;

/** How long a host-bound step may wait for its host before the lane re-homes (DESIGN.md §1). */
export const DEFAULT_REHOME_AFTER_MS = 5 * 60_000;

export type Resolution = { action: 'retry' | 'abort' | 'approve'; note?: string };

export const stateQuery = defineQuery<LaneStatus>(LANE_QUERIES.state);
export const eventsQuery = defineQuery<LaneEvent[], [number?]>(LANE_QUERIES.events);
export const summaryQuery = defineQuery<LaneSummary>(LANE_QUERIES.summary);
/** `summary` and `state` in one answer: `lanes status` asks once, so a closed lane is replayed once, not twice. */
export const statusQuery = defineQuery<{ summary: LaneSummary; state: LaneStatus }>(LANE_QUERIES.status);
export const trustSignal = defineSignal<[{ by?: string }?]>('trust');

/** One turn of an external agent, sent by the running agentPass as soon as the stream shows it. */
export interface AgentTurnNotice {
  pass: number;
  /** 1-based within the pass, across the runs of a resumed pass (the summary's index). */
  index: number;
  /** Which start of the agent process this turn came from (2+ = a resumed session). */
  run: number;
  sessionId: string | null;
  turn: AgentTurn;
}
export const agentTurnSignal = defineSignal<[AgentTurnNotice]>('agentTurn');
export const resolveUpdate = defineUpdate<{ accepted: true; action: Resolution['action'] }, [Resolution]>('resolve');

export { LANE_WORKFLOW_TYPE } from './names.js';
/** The workflow's signature, for typed client handles without importing the workflow body. */
export type LaneWorkflow = (input: LaneInput) => Promise<LaneReport>;
