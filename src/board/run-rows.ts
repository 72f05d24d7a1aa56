// The board's runs: one row per run (visibility plus the run's own `runState` query), with
// its tasks and their lanes, so a run's lanes are seen together and link to their pages.
import { type Client, type WorkflowExecutionInfo, WorkflowNotFoundError } from '@temporalio/client';
import { runStateQuery, type RunReport } from '../workflows/run/api.js';
import type { RunUsage } from '../workflows/run/budget.js';
import { type BoardFilters, filteredQuery, first } from './lane-rows.js';
import { type ExecutionInfo, QueryCache } from './query-cache.js';

export interface RunTaskRow {
  taskId: string;
  laneId: string;
  /** pending, running, landed, reused, failed, skipped. */
  status: string;
  failureClass: string | null;
  /** Why it is skipped, failed or waiting. */
  reason: string | null;
}

export interface RunRow {
  runId: string;
  workflowId: string;
  /** Temporal's execution status (RUNNING, COMPLETED, FAILED, ...). */
  status: string;
  /** The run's own state (running, finished, failed, cancelled). */
  state: string;
  detail: string;
  failureClass: string | null;
  repo: string | null;
  target: string | null;
  integrationBranch: string | null;
  /** A run-level gate holding integration (budget, doctor, canary), as the run reports it. */
  gate: { class: string; detail: string } | null;
  tasks: RunTaskRow[];
  startedAt: string;
  closedAt: string | null;
  elapsedMs: number;
  usage: RunUsage | null;
  /** Why the run's own view is missing (no worker answered its query), if it is. */
  unavailable: string | null;
}

/** Runs still going first, then the ones that ended badly, then the finished; a table to extend. */
const RUN_ORDER: Record<string, number> = { running: 0, failed: 1, cancelled: 2, finished: 3 };

export function compareRuns(a: RunRow, b: RunRow): number {
  const d = (RUN_ORDER[a.state] ?? 0) - (RUN_ORDER[b.state] ?? 0);
  return d !== 0 ? d : b.startedAt.localeCompare(a.startedAt);
}

/** The runs' visibility query: the run and repo filters apply (a lane state is not a run's). */
export function runVisibilityQuery(filters: BoardFilters): string {
  return filteredQuery('runWorkflow', filters, ['run', 'repo']);
}

/** Task counts by status in a fixed order: "2 landed · 1 running". */
export function taskCounts(tasks: readonly RunTaskRow[]): string {
  const by = new Map<string, number>();
  for (const t of tasks) by.set(t.status, (by.get(t.status) ?? 0) + 1);
  return ['running', 'pending', 'failed', 'skipped', 'landed', 'reused']
    .filter((s) => by.has(s))
    .map((s) => `${by.get(s)} ${s}`)
    .join(' · ');
}

export class RunRowSource {
  private readonly reports: QueryCache<RunReport>;

  constructor(
    private readonly client: Client,
    private readonly opts: { limit?: number; runningTtlMs?: number; queryTimeoutMs?: number } = {},
  ) {
    this.reports = new QueryCache(client, "the run's query", opts.runningTtlMs ?? 2_000, opts.queryTimeoutMs ?? 3_000);
  }

  async rows(filters: BoardFilters = {}, now = Date.now()): Promise<RunRow[]> {
    const infos: WorkflowExecutionInfo[] = [];
    for await (const wf of this.client.workflow.list({ query: runVisibilityQuery(filters) })) {
      infos.push(wf);
      if (infos.length >= (this.opts.limit ?? 50)) break;
    }
    const rows = await Promise.all(infos.map((info) => this.toRow(info, now)));
    return rows.sort(compareRuns);
  }

  /** One run's row, or null when no such run exists. */
  async row(runId: string, now = Date.now()): Promise<RunRow | null> {
    let info: ExecutionInfo;
    try {
      info = await this.client.workflow.getHandle(`run-${runId.replace(/^run-/, '')}`).describe();
    } catch (e) {
      if (e instanceof WorkflowNotFoundError) return null;
      throw e;
    }
    return info.type === 'runWorkflow' ? this.toRow(info, now) : null;
  }

  private async toRow(info: ExecutionInfo, now: number): Promise<RunRow> {
    const q = await this.reports.get(info, (i) => this.client.workflow.getHandle(i.workflowId, i.runId).query(runStateQuery), now);
    const r = q.value;
    const sa = info.searchAttributes as Record<string, unknown[] | undefined>;
    const closed = info.closeTime?.getTime() ?? null;
    return {
      runId: r?.runId ?? first(sa, 'LaneRunId') ?? info.workflowId.replace(/^run-/, ''),
      workflowId: info.workflowId,
      status: info.status.name,
      state: r?.state ?? (info.status.name === 'RUNNING' ? 'running' : info.status.name.toLowerCase()),
      detail: r?.detail ?? '',
      failureClass: r?.failureClass ?? null,
      repo: r?.repo ?? first(sa, 'LaneRepo'),
      target: r?.target ?? null,
      integrationBranch: r?.integrationBranch ?? null,
      gate: r?.gate ?? null,
      tasks: (r?.tasks ?? []).map((t) => ({ taskId: t.taskId, laneId: t.laneId, status: t.status, failureClass: t.failureClass, reason: t.reason })),
      startedAt: info.startTime.toISOString(),
      closedAt: closed === null ? null : new Date(closed).toISOString(),
      elapsedMs: Math.max(0, (closed ?? now) - info.startTime.getTime()),
      usage: r?.usage ?? null,
      unavailable: q.error,
    };
  }
}
