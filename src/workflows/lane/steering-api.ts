// Steering a running lane (issue 16): operator messages (`lanes send`), durable tool
// approvals (`lanes approve` / `lanes deny`) and restarts (`lanes restart`). The
// message definitions the client imports; the workflow side is steering.ts.
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { LaneInput, LaneResume } from './api.js';

/** Longest operator message a lane accepts (characters). */
export const MAX_MESSAGE_CHARS = 16_000;

/** An operator message waiting for the agent's next turn boundary. */
export interface QueuedMessage {
  id: string;
  text: string;
  by: string | null;
  at: string;
}

export interface SendRequest {
  text: string;
  by?: string;
}
export interface SendAccepted {
  accepted: true;
  messageId: string;
  /** Messages waiting for the agent, this one included. */
  queued: number;
}
/** Validated: refused on a lane that has ended (or is closing out). */
export const sendUpdate = defineUpdate<SendAccepted, [SendRequest]>('send');

// A tool call waiting for a person: its shape is part of the lane status (report.ts).
export type { ApprovalRequest } from './report.js';

export interface ApprovalDecision {
  requestId: string;
  decision: 'approve' | 'deny';
  /** approve: --note; deny: --reason (the agent reads it). */
  text?: string;
  by?: string;
}
export interface ApprovalAccepted {
  accepted: true;
  requestId: string;
  decision: ApprovalDecision['decision'];
}
/** Validated: only the request the lane is waiting for can be decided, once. */
export const approvalUpdate = defineUpdate<ApprovalAccepted, [ApprovalDecision]>('approval');

export type RestartFrom = 'checkpoint' | 'base';
export interface RestartRequest {
  from: RestartFrom;
  by?: string;
  note?: string;
}
export interface RestartAccepted {
  accepted: true;
  from: RestartFrom;
  /** The commit the lane branch and worktree go back to. */
  resetTo: string;
}
/** Validated: only a blocked lane restarts in place (a failed one is started again by the client). */
export const restartUpdate = defineUpdate<RestartAccepted, [RestartRequest]>('restart');

/**
 * A failed lane's workflow has closed: `lanes restart` starts it again under the same
 * workflow id (a new run) with the failed run's carried state and this request.
 */
export interface FailedLaneRestart extends RestartRequest {
  /** The failed run's state, as continue-as-new would carry it (events: the newest window). */
  prior: LaneResume;
}

/** What a closed run hands `lanes restart`: its start input (without resume/restart) and its state. */
export interface RestartState {
  input: LaneInput;
  resume: LaneResume;
}
export const restartStateQuery = defineQuery<RestartState>('restartState');

/**
 * The commit a restarted failed lane goes back to: the last checkpoint commit (none: the
 * base), or the base the lane started from; null when the lane never had a worktree.
 */
export function failedRestartTarget(prior: LaneResume, from: RestartFrom): string | null {
  const checkpoint = prior.commits.at(-1)?.sha;
  if (from === 'checkpoint' && checkpoint) return checkpoint;
  const ready = [...(prior.anchors ?? []), ...prior.events].find((e) => e.type === 'lane.ready')?.data.baseCommit;
  return typeof ready === 'string' ? ready : null;
}
