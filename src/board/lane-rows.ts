// The board's table: one row per lane, from visibility (search attributes, memo) plus the
// lane's own `summary` and `state` queries, cached so many viewers cost the server little.
import { type Client, type WorkflowExecutionInfo, WorkflowNotFoundError } from '@temporalio/client';
import { LanesError } from '../errors.js';
import { summaryQuery, stateQuery, type LaneStatus } from '../workflows/lane/api.js';
import type { LaneSummary } from '../workflows/summary.js';

export interface LaneUsage {
  turns: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

export interface LaneRow {
  laneId: string;
  workflowId: string;
  runId: string;
  /** Temporal's execution status (RUNNING, COMPLETED, FAILED, ...). */
  status: string;
  state: string;
  greenLevel: string;
  failureClass: string | null;
  objective: string;
  repo: string | null;
  branch: string | null;
  /** The run this lane belongs to (search attribute LaneRunId), when runs exist. */
  run: string | null;
  blocker: { class: string; detail: string } | null;
  next: string;
  startedAt: string;
  closedAt: string | null;
  elapsedMs: number;
  usage: LaneUsage | null;
  host: string | null;
  /** Why the lane's own view is missing (no worker answered its queries), if it is. */
  unavailable: string | null;
}

export interface BoardFilters {
  state?: string;
  repo?: string;
  run?: string;
}

export const FILTER_NAMES = ['state', 'repo', 'run'] as const;

/** Lanes that need a person come first: a tool call to approve, blocked, awaiting trust; then working, then ended. */
const ORDER: Record<string, number> = { awaiting_approval: -1, blocked: 0, trust_required: 1, spawning: 2, ready_for_prompt: 2, prompt_accepted: 2, running: 2, failed: 3, finished: 4 };

export function compareRows(a: LaneRow, b: LaneRow): number {
  const d = (ORDER[a.state] ?? 2) - (ORDER[b.state] ?? 2);
  return d !== 0 ? d : b.startedAt.localeCompare(a.startedAt);
}

// Values reach a visibility query: allow what lane ids, states, paths and run ids use.
const SAFE_VALUE = /^[\w./@:+~ -]{1,300}$/;

/** The visibility query for the filters; a value that could break out of its quotes is refused. */
export function visibilityQuery(filters: BoardFilters): string {
  const parts = [`WorkflowType = 'laneWorkflow'`];
  const attr: Record<keyof BoardFilters, string> = { state: 'LaneState', repo: 'LaneRepo', run: 'LaneRunId' };
  for (const name of FILTER_NAMES) {
    const v = filters[name]?.trim();
    if (!v) continue;
    if (!SAFE_VALUE.test(v)) throw new LanesError('validation', `filter ${name}="${v.slice(0, 60)}" has characters a lane ${name} never has`, 'Use letters, digits and . / _ - @ : + ~ only.');
    parts.push(`${attr[name]} = '${v}'`);
  }
  return parts.join(' AND ');
}

interface Detail {
  summary: LaneSummary | null;
  status: LaneStatus | null;
  error: string | null;
  fetchedAt: number;
}

export interface LaneRowSourceOptions {
  /** At most this many lanes per listing (newest first from visibility). */
  limit?: number;
  /** How long a running lane's queried view is reused, ms (default 2000). */
  runningTtlMs?: number;
  /** Deadline for one lane's queries, ms (default 3000). */
  queryTimeoutMs?: number;
}

const first = (sa: Record<string, unknown[] | undefined>, key: string): string | null => {
  const v = sa[key]?.[0];
  return typeof v === 'string' ? v : null;
};

/**
 * Rows for the board. A closed lane's view never changes, so it is queried once per run;
 * a running lane's is re-queried when its history grows or the TTL passes.
 */
export class LaneRowSource {
  private readonly details = new Map<string, Detail & { key: string }>();
  private readonly limit: number;
  private readonly runningTtlMs: number;
  private readonly queryTimeoutMs: number;

  constructor(
    private readonly client: Client,
    opts: LaneRowSourceOptions = {},
  ) {
    this.limit = opts.limit ?? 200;
    this.runningTtlMs = opts.runningTtlMs ?? 2_000;
    this.queryTimeoutMs = opts.queryTimeoutMs ?? 3_000;
  }

  async rows(filters: BoardFilters = {}, now = Date.now()): Promise<LaneRow[]> {
    const infos: WorkflowExecutionInfo[] = [];
    for await (const wf of this.client.workflow.list({ query: visibilityQuery(filters) })) {
      infos.push(wf);
      if (infos.length >= this.limit) break;
    }
    const rows = await Promise.all(infos.map(async (info) => toRow(info, await this.detailFor(info, now), now)));
    return rows.sort(compareRows);
  }

  /** One lane's row, or null when no such lane exists. */
  async row(workflowId: string, now = Date.now()): Promise<LaneRow | null> {
    let info: Omit<WorkflowExecutionInfo, 'raw'>;
    try {
      info = await this.client.workflow.getHandle(workflowId).describe();
    } catch (e) {
      if (e instanceof WorkflowNotFoundError) return null;
      throw e;
    }
    if (info.type !== 'laneWorkflow') return null;
    return toRow(info, await this.detailFor(info, now), now);
  }

  private async detailFor(info: Omit<WorkflowExecutionInfo, 'raw'>, now: number): Promise<Detail> {
    const running = info.status.name === 'RUNNING';
    const key = `${info.runId}:${running ? info.historyLength : 'closed'}`;
    const cached = this.details.get(info.workflowId);
    // A closed lane whose queries failed (no worker then) is asked again after the TTL.
    if (cached && cached.key === key) {
      const settled = !running && cached.error === null;
      if (settled || now - cached.fetchedAt < this.runningTtlMs) return cached;
    }
    const handle = this.client.workflow.getHandle(info.workflowId, info.runId);
    let detail: Detail;
    try {
      const [summary, status] = await this.client.withDeadline(Date.now() + this.queryTimeoutMs, () => Promise.all([handle.query(summaryQuery), handle.query(stateQuery)]));
      detail = { summary, status, error: null, fetchedAt: now };
    } catch (e) {
      detail = { summary: null, status: null, error: `no worker answered the lane's queries (${(e as Error).message.split('\n')[0]!.slice(0, 120)})`, fetchedAt: now };
    }
    this.details.set(info.workflowId, { ...detail, key });
    return detail;
  }
}

function toRow(info: Omit<WorkflowExecutionInfo, 'raw'>, d: Detail, now: number): LaneRow {
  const sa = info.searchAttributes as Record<string, unknown[] | undefined>;
  const memo = (info.memo ?? {}) as { objective?: unknown };
  const started = info.startTime.getTime();
  const closed = info.closeTime?.getTime() ?? null;
  const report = d.status?.report ?? null;
  const state = d.summary?.phase ?? first(sa, 'LaneState') ?? 'spawning';
  return {
    laneId: info.workflowId.replace(/^lane-/, ''),
    workflowId: info.workflowId,
    runId: info.runId,
    status: info.status.name,
    state,
    greenLevel: d.summary?.greenLevel ?? first(sa, 'LaneGreenLevel') ?? 'none',
    failureClass: d.status?.failureClass ?? first(sa, 'LaneFailureClass'),
    objective: typeof memo.objective === 'string' ? memo.objective : '',
    repo: first(sa, 'LaneRepo'),
    branch: first(sa, 'LaneBranch'),
    run: first(sa, 'LaneRunId'),
    blocker: d.summary?.blocker ? { class: d.summary.blocker.class, detail: d.summary.blocker.detail } : null,
    next: d.summary?.recommendedAction.replace(/<lane>/g, info.workflowId.replace(/^lane-/, '')) ?? (info.status.name === 'RUNNING' ? 'start a worker (`lanes worker`) to see this lane' : '-'),
    startedAt: info.startTime.toISOString(),
    closedAt: closed === null ? null : new Date(closed).toISOString(),
    elapsedMs: Math.max(0, (closed ?? now) - started),
    usage: report?.usage ?? usageOf(d.status),
    host: d.status?.hostQueue ?? null,
    unavailable: d.error,
  };
}

/** Running lanes report their usage so far in the state query. */
function usageOf(status: LaneStatus | null): LaneUsage | null {
  return status?.usage ?? null;
}
