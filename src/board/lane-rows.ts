// The board's table: one row per lane, from visibility (search attributes, memo) plus the
// lane's own `status` query (summary and state in one), cached so many viewers cost the server little.
import { type Client, type WorkflowExecutionInfo, WorkflowNotFoundError } from '@temporalio/client';
import { LanesError } from '../errors.js';
import { queryStatus } from '../client/lanes.js';
import type { LaneStatus } from '../workflows/lane/api.js';
import type { LaneSummary } from '../workflows/summary.js';
import { type ExecutionInfo, type Queried, QueryCache } from './query-cache.js';

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

const FILTER_ATTRIBUTES: Record<keyof BoardFilters, string> = { state: 'LaneState', repo: 'LaneRepo', run: 'LaneRunId' };

/**
 * The visibility query for a workflow type and the filters (those in `names`); a value that
 * could break out of its quotes is refused.
 */
export function filteredQuery(workflowType: string, filters: BoardFilters, names: readonly (keyof BoardFilters)[] = FILTER_NAMES): string {
  const parts = [`WorkflowType = '${workflowType}'`];
  for (const name of FILTER_NAMES) {
    const v = filters[name]?.trim();
    if (!v) continue;
    if (!SAFE_VALUE.test(v)) throw new LanesError('validation', `filter ${name}="${v.slice(0, 60)}" has characters a lane ${name} never has`, 'Use letters, digits and . / _ - @ : + ~ only.');
    if (names.includes(name)) parts.push(`${FILTER_ATTRIBUTES[name]} = '${v}'`);
  }
  return parts.join(' AND ');
}

/** The lanes' visibility query for the filters. */
export function visibilityQuery(filters: BoardFilters): string {
  return filteredQuery('laneWorkflow', filters);
}

interface Detail {
  summary: LaneSummary;
  status: LaneStatus;
}

export interface LaneRowSourceOptions {
  /** At most this many lanes per listing (newest first from visibility). */
  limit?: number;
  /** How long a running lane's queried view is reused, ms (default 2000). */
  runningTtlMs?: number;
  /** Deadline for one lane's queries, ms (default 3000). */
  queryTimeoutMs?: number;
}

export const first = (sa: Record<string, unknown[] | undefined>, key: string): string | null => {
  const v = sa[key]?.[0];
  return typeof v === 'string' ? v : null;
};

/**
 * Rows for the board. A closed lane's view never changes, so it is queried once per run;
 * a running lane's is re-queried when its history grows or the TTL passes.
 */
export class LaneRowSource {
  private readonly details: QueryCache<Detail>;
  private readonly limit: number;

  constructor(
    private readonly client: Client,
    opts: LaneRowSourceOptions = {},
  ) {
    this.limit = opts.limit ?? 200;
    this.details = new QueryCache(client, "the lane's queries", opts.runningTtlMs ?? 2_000, opts.queryTimeoutMs ?? 3_000);
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
    let info: ExecutionInfo;
    try {
      info = await this.client.workflow.getHandle(workflowId).describe();
    } catch (e) {
      if (e instanceof WorkflowNotFoundError) return null;
      throw e;
    }
    if (info.type !== 'laneWorkflow') return null;
    return toRow(info, await this.detailFor(info, now), now);
  }

  private detailFor(info: ExecutionInfo, now: number): Promise<Queried<Detail>> {
    return this.details.get(
      info,
      async (i) => {
        const handle = this.client.workflow.getHandle(i.workflowId, i.runId);
        const { summary, state } = await queryStatus(handle);
        return { summary, status: state };
      },
      now,
    );
  }
}

function toRow(info: ExecutionInfo, q: Queried<Detail>, now: number): LaneRow {
  const d = { summary: q.value?.summary ?? null, status: q.value?.status ?? null, error: q.error };
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
