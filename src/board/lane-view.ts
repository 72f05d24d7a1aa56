// Everything the lane page shows: the row, the event timeline, the failing log tail,
// the branch's diff and commits, and how the landing went.
import type { Client } from '@temporalio/client';
import type { LaneEvent } from '../workflows/events.js';
import { eventsQuery } from '../workflows/lane/api.js';
import { failingLog, type FailingLog } from './failing-log.js';
import { laneGitView, type LaneGitResult } from './lane-git.js';
import type { LaneRow, LaneRowSource } from './lane-rows.js';

export interface LaneLanding {
  landed: boolean;
  target: string | null;
  mergeCommit: string | null;
  detail: string;
}

export interface LaneView {
  row: LaneRow;
  events: LaneEvent[];
  /** Why the timeline is missing, if it is (no worker answered). */
  eventsUnavailable: string | null;
  failing: FailingLog | null;
  git: LaneGitResult;
  landing: LaneLanding | null;
}

export interface LaneViewDeps {
  client: Client;
  rows: LaneRowSource;
  home: string;
  redact: (text: string) => string;
  queryTimeoutMs?: number;
}

/** How the lane ended up with respect to its target, from its events. */
export function landingOf(events: readonly LaneEvent[]): LaneLanding | null {
  const merged = [...events].reverse().find((e) => e.type === 'lane.merged');
  if (merged) {
    const mc = merged.data.mergeCommit;
    return { landed: true, target: typeof merged.data.target === 'string' ? merged.data.target : null, mergeCommit: typeof mc === 'string' ? mc : null, detail: merged.detail };
  }
  const end = [...events].reverse().find((e) => e.type === 'lane.finished' || e.type === 'lane.failed');
  if (end) return { landed: false, target: null, mergeCommit: null, detail: `not landed: ${end.detail}` };
  return null;
}

export async function laneView(deps: LaneViewDeps, workflowId: string): Promise<LaneView | null> {
  const row = await deps.rows.row(workflowId);
  if (!row) return null;
  let events: LaneEvent[] = [];
  let eventsUnavailable: string | null = null;
  try {
    const handle = deps.client.workflow.getHandle(row.workflowId, row.runId);
    events = await deps.client.withDeadline(Date.now() + (deps.queryTimeoutMs ?? 3_000), () => handle.query(eventsQuery, 0));
  } catch (e) {
    eventsUnavailable = `no worker answered the lane's events query (${(e as Error).message.split('\n')[0]!.slice(0, 120)})`;
  }
  const ready = events.find((e) => e.type === 'lane.ready');
  const landing = landingOf(events);
  const baseCommit = typeof ready?.data.baseCommit === 'string' ? ready.data.baseCommit : null;
  const git = await laneGitView({ repo: row.repo, branch: row.branch, base: baseCommit, mergeCommit: landing?.mergeCommit ?? null });
  return { row, events, eventsUnavailable, failing: failingLog(deps.home, row.laneId, events, deps.redact), git, landing };
}
