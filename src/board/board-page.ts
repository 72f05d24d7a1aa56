// The board: a table of lanes, blocked and awaiting first. The full table is in the
// HTML (works without JavaScript); htmx's SSE extension swaps in fresh rows as they come.
import { esc, formatDuration, formatTokens, LANES_HEAD, page, shorten, stateBadge } from './html.js';
import { type BoardFilters, FILTER_NAMES, type LaneRow } from './lane-rows.js';
import { webUiBlockedListUrl, webUiLaneUrl } from './links.js';
import type { RunRow } from './run-rows.js';
import { renderRunsSection } from './run-section.js';

export interface BoardContext {
  webUiUrl: string | null;
  namespace: string;
}

const STATES = ['blocked', 'trust_required', 'spawning', 'ready_for_prompt', 'prompt_accepted', 'running', 'finished', 'failed'];

function usageCell(r: LaneRow): string {
  if (!r.usage) return '<span class="muted">-</span>';
  const u = r.usage;
  return `${u.turns} turn${u.turns === 1 ? '' : 's'}<br><span class="muted">${formatTokens(u.inputTokens + u.outputTokens)} tok · $${u.costUsd.toFixed(4)}</span>`;
}

function blockerCell(r: LaneRow): string {
  const blocker = r.blocker ? `<div class="blocker"><b>${esc(r.blocker.class)}</b>: ${esc(shorten(r.blocker.detail, 160))}</div>` : '';
  const note = r.unavailable ? `<div class="muted">${esc(r.unavailable)}</div>` : '';
  return `${blocker}<div class="next">next: ${esc(r.next)}</div>${note}`;
}

export function renderRow(r: LaneRow, ctx: BoardContext, now = Date.now()): string {
  const ui = ctx.webUiUrl ? ` <a class="ui-link" href="${esc(webUiLaneUrl(ctx.webUiUrl, ctx.namespace, r.workflowId, r.runId))}" title="Temporal Web UI">UI</a>` : '';
  const where = [r.repo ? `repo ${r.repo.split('/').filter(Boolean).at(-1)}` : '', r.run ? `run ${r.run}` : ''].filter(Boolean).join(' · ');
  const elapsed = r.closedAt ? r.elapsedMs : Math.max(r.elapsedMs, now - Date.parse(r.startedAt));
  return `<tr id="lane-${esc(r.laneId)}" data-lane="${esc(r.laneId)}" data-state="${esc(r.state)}">` +
    `<td class="lane"><a href="/lanes/${esc(encodeURIComponent(r.laneId))}">${esc(r.laneId)}</a>${ui}${where ? `<div class="muted">${esc(where)}</div>` : ''}</td>` +
    `<td class="objective" title="${esc(r.objective)}">${esc(shorten(r.objective, 120))}</td>` +
    `<td>${stateBadge(r.state)}${r.status !== 'RUNNING' && r.status !== 'COMPLETED' ? `<div class="muted">${esc(r.status.toLowerCase())}</div>` : ''}</td>` +
    `<td class="green">${esc(r.greenLevel)}</td>` +
    `<td class="action">${blockerCell(r)}</td>` +
    `<td class="num">${esc(formatDuration(elapsed))}</td>` +
    `<td class="num">${usageCell(r)}</td>` +
    `<td class="host">${esc(r.host ?? '-')}</td>` +
    `</tr>`;
}

export function renderRows(rows: readonly LaneRow[], ctx: BoardContext, now = Date.now()): string {
  if (rows.length === 0) return `<tr class="empty"><td colspan="8">No lanes match. Submit one with <code>lanes submit &lt;packet&gt;</code>.</td></tr>`;
  return rows.map((r) => renderRow(r, ctx, now)).join('');
}

/** "3 lanes · 1 blocked · 2 finished", counted from the rows shown. */
export function renderCounts(rows: readonly LaneRow[]): string {
  const by = new Map<string, number>();
  for (const r of rows) by.set(r.state, (by.get(r.state) ?? 0) + 1);
  const parts = STATES.filter((s) => by.has(s)).map((s) => `${by.get(s)} ${s}`);
  return esc(`${rows.length} lane${rows.length === 1 ? '' : 's'}${parts.length ? ` · ${parts.join(' · ')}` : ''}`);
}

export function filterQuery(filters: BoardFilters): string {
  const q = new URLSearchParams();
  for (const k of FILTER_NAMES) if (filters[k]) q.set(k, filters[k]!);
  const s = q.toString();
  return s ? `?${s}` : '';
}

function filterForm(filters: BoardFilters, runIds: readonly string[]): string {
  const options = ['', ...STATES].map((s) => `<option value="${s}"${filters.state === s ? ' selected' : ''}>${s || 'any state'}</option>`).join('');
  // The runs the board knows, plus the one asked for (it may be older than the listing).
  const runs = ['', ...new Set([...runIds, ...(filters.run ? [filters.run] : [])])];
  const runOptions = runs.map((r) => `<option value="${esc(r)}"${(filters.run ?? '') === r ? ' selected' : ''}>${esc(r || 'any run')}</option>`).join('');
  return `<form class="filters" method="get" action="/">
<label>state <select name="state">${options}</select></label>
<label>repo <input name="repo" value="${esc(filters.repo ?? '')}" placeholder="/path/to/repo" size="28"></label>
<label>run <select name="run">${runOptions}</select></label>
<button type="submit">Filter</button> <a href="/">clear</a>
</form>`;
}

export function renderBoard(rows: readonly LaneRow[], runs: readonly RunRow[], filters: BoardFilters, ctx: BoardContext, error: string | null = null, now = Date.now()): string {
  const ui = ctx.webUiUrl
    ? `<a href="${esc(ctx.webUiUrl)}">Temporal Web UI</a> · <a href="${esc(webUiBlockedListUrl(ctx.webUiUrl, ctx.namespace))}">blocked lanes in the Web UI</a>`
    : '<span class="muted">Temporal Web UI: not known to this board</span>';
  const body = `<header><h1>Lanes</h1><nav>${ui} · <a href="/api/lanes${esc(filterQuery(filters))}">JSON</a></nav></header>
${filterForm(filters, runs.map((r) => r.runId))}
${error ? `<p class="error" role="alert">${esc(error)}</p>` : ''}
<div hx-ext="sse" sse-connect="/events${esc(filterQuery(filters))}">
<p class="counts"><span id="counts" sse-swap="counts">${renderCounts(rows)}</span> <span class="muted">· <span id="updated" sse-swap="updated">updated ${esc(new Date(now).toISOString().slice(11, 19))} UTC</span> · read-only</span></p>
${runs.length > 0 || filters.run ? renderRunsSection(runs, rows, now) : ''}
<h2>Lanes</h2>
<table class="lanes">
${LANES_HEAD}
<tbody id="lane-rows" sse-swap="rows">${renderRows(rows, ctx, now)}</tbody>
</table>
</div>`;
  return page({ title: 'Lanes board', body, live: true, noScriptRefreshS: 15 });
}
