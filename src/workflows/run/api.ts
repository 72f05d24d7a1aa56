// The run workflow's contract: input, report, task states and the queries clients use.
import { defineQuery } from '@temporalio/workflow';
import type { ResolvedPlan } from '../../packet/plan-parse.js';
import type { FailureClass } from '../../failures.js';
import type { GreenLevel } from '../state.js';
import type { RunUsage } from './budget.js';
import type { RunEvent } from './events.js';
import type { TaskStatus } from './scheduler.js';

/** A landed task of an earlier run that a resumed run takes over instead of running again. */
export interface ReusedTask {
  taskId: string;
  fingerprint: string;
  laneId: string;
  fromRun: string;
}

export interface RunInput {
  /** Workflow id is run-<runId>; the plan id for a first run, <planId>-r<n> for a resume. */
  runId: string;
  plan: ResolvedPlan;
  /** Set by `lanes run resume`: landed tasks of the earlier run, by packet fingerprint. */
  reuse?: ReusedTask[];
  resumedFrom?: string;
  /** The web board's base URL (from the client that started the run): each lane's Web UI Details link to its page there. */
  boardUrl?: string;
  /** Passed on to every lane (see LaneInput). */
  historyEventLimit?: number;
  rehomeAfterMs?: number;
}

export interface RunTaskState {
  taskId: string;
  laneId: string;
  fingerprint: string;
  status: TaskStatus;
  batch: number | null;
  dependsOn: string[];
  /** Why it is skipped, failed or waiting. */
  reason: string | null;
  failureClass: FailureClass | null;
  greenLevel: GreenLevel | null;
  mergeCommit: string | null;
  usage: RunUsage;
  startedAt: string | null;
  endedAt: string | null;
  /** Set when the task was taken over from an earlier run. */
  reusedFrom: string | null;
}

export type RunState = 'running' | 'finished' | 'failed' | 'cancelled';

export interface RunReport {
  schema: 'lanes.run-report/v1';
  runId: string;
  planId: string;
  state: RunState;
  failureClass: FailureClass | null;
  detail: string;
  repo: string;
  target: string;
  integrationBranch: string;
  /** Target head when the run started and now. */
  targetStart: string | null;
  targetHead: string | null;
  integrationHead: string | null;
  /** The target moved (by fast-forward) at least once in this run. */
  advanced: boolean;
  /** A run-level gate that stopped integration: budget, validator (canary), test (doctor). */
  gate: { class: FailureClass; detail: string } | null;
  tasks: RunTaskState[];
  usage: RunUsage;
  batches: number;
  resumedFrom: string | null;
  timings: { startedAt: string; finishedAt: string | null; durationMs: number };
  events: number;
}

export const runStateQuery = defineQuery<RunReport>('runState');
export const runEventsQuery = defineQuery<RunEvent[], [number?]>('runEvents');
/** The resolved plan the run works from (what `lanes run resume` starts again). */
export const runPlanQuery = defineQuery<ResolvedPlan>('runPlan');
