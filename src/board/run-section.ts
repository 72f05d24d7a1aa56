// Runs on the board: a section of run rows (each with its lanes, grouped, linking to their
// pages) above the lanes table, and a run's own page with its tasks and their lanes.
import type { BoardContext } from './board-page.js';
import { esc, formatDuration, formatTokens, LANES_HEAD, page, shorten, stateBadge } from './html.js';
import type { LaneRow } from './lane-rows.js';
import { webUiLaneUrl } from './links.js';
import { type RunRow, type RunTaskRow, taskCounts } from './run-rows.js';

export const RUN_COLUMNS = 7;

/** A task's lane: its link, and the lane's own state when it says more than the task's. */
function taskLane(t: RunTaskRow, lanes: ReadonlyMap<string, LaneRow>): string {
  const lane = lanes.get(t.laneId);
  const laneState = lane && lane.state !== 'finished' && lane.state !== t.status ? ` ${stateBadge(lane.state)}` : '';
  return `<li data-lane="${esc(t.laneId)}" data-status="${esc(t.status)}"><a href="/lanes/${esc(encodeURIComponent(t.laneId))}">${esc(t.taskId)}</a> <span class="task-status task-${esc(t.status)}">${esc(t.status)}</span>${laneState}${
    t.failureClass ? ` <b class="cls">${esc(t.failureClass)}</b>` : ''
  }</li>`;
}

function usageText(r: RunRow): string {
  return r.usage ? `${formatTokens(r.usage.inputTokens + r.usage.outputTokens)} tok · $${r.usage.costUsd.toFixed(4)}` : '-';
}

export function renderRunRow(r: RunRow, lanes: ReadonlyMap<string, LaneRow>, now = Date.now()): string {
  const elapsed = r.closedAt ? r.elapsedMs : Math.max(r.elapsedMs, now - Date.parse(r.startedAt));
  const note = [r.gate ? `<div class="blocker"><b>${esc(r.gate.class)}</b>: ${esc(shorten(r.gate.detail, 160))}</div>` : '', r.unavailable ? `<div class="muted">${esc(r.unavailable)}</div>` : '']
    .filter(Boolean)
    .join('');
  return `<tr id="run-${esc(r.runId)}" data-run="${esc(r.runId)}" data-state="${esc(r.state)}">` +
    `<td class="lane"><a href="/runs/${esc(encodeURIComponent(r.runId))}">${esc(r.runId)}</a><div class="muted"><a href="/?run=${esc(encodeURIComponent(r.runId))}">its lanes below</a></div></td>` +
    `<td>${stateBadge(r.state)}${note}</td>` +
    `<td class="objective">${esc(shorten(r.detail, 160))}<div class="muted">${esc(taskCounts(r.tasks))}</div></td>` +
    `<td class="run-lanes"><ul class="run-lanes">${r.tasks.map((t) => taskLane(t, lanes)).join('')}</ul></td>` +
    `<td class="host">${esc(r.integrationBranch ?? '-')} → ${esc(r.target ?? '-')}</td>` +
    `<td class="num">${esc(formatDuration(elapsed))}</td>` +
    `<td class="num">${esc(usageText(r))}</td>` +
    `</tr>`;
}

export function renderRunRows(runs: readonly RunRow[], lanes: readonly LaneRow[], now = Date.now()): string {
  if (runs.length === 0) return `<tr class="empty"><td colspan="${RUN_COLUMNS}">No runs match. Start one with <code>lanes run &lt;plan&gt;</code>.</td></tr>`;
  const byLane = new Map(lanes.map((l) => [l.laneId, l]));
  return runs.map((r) => renderRunRow(r, byLane, now)).join('');
}

/** The runs table of the board; its body is swapped live like the lanes'. */
export function renderRunsSection(runs: readonly RunRow[], lanes: readonly LaneRow[], now = Date.now()): string {
  return `<h2>Runs</h2>
<table class="runs">
<thead><tr><th>run</th><th>state</th><th>detail · tasks</th><th>lanes</th><th>integration → target</th><th>elapsed</th><th>tokens · cost</th></tr></thead>
<tbody id="run-rows" sse-swap="runs">${renderRunRows(runs, lanes, now)}</tbody>
</table>`;
}

/** A run's page: what it is doing, its tasks with their lanes, and the lanes' full rows. */
export function renderRunPage(r: RunRow, lanes: readonly LaneRow[], laneRowsHtml: string, ctx: BoardContext, now = Date.now()): string {
  const byLane = new Map(lanes.map((l) => [l.laneId, l]));
  const elapsed = r.closedAt ? r.elapsedMs : now - Date.parse(r.startedAt);
  const ui = ctx.webUiUrl ? `<a href="${esc(webUiLaneUrl(ctx.webUiUrl, ctx.namespace, r.workflowId))}">this run in the Temporal Web UI</a>` : '<span class="muted">Temporal Web UI: not known to this board</span>';
  const tasks = r.tasks
    .map((t) => {
      const lane = byLane.get(t.laneId);
      return `<tr data-task="${esc(t.taskId)}" data-lane="${esc(t.laneId)}" data-status="${esc(t.status)}"><td>${esc(t.taskId)}</td><td><a href="/lanes/${esc(encodeURIComponent(t.laneId))}">${esc(t.laneId)}</a></td><td>${esc(t.status)}</td><td>${lane ? stateBadge(lane.state) : '<span class="muted">not started</span>'}</td><td class="action">${
        lane ? `<div class="next">next: ${esc(lane.next)}</div>` : ''
      }${t.reason ? `<div class="muted">${esc(t.reason)}</div>` : ''}</td></tr>`;
    })
    .join('');
  const body = `<header><h1><a href="/">Lanes</a> / run ${esc(r.runId)}</h1><nav>${ui} · <a href="/api/runs/${esc(encodeURIComponent(r.runId))}">JSON</a></nav></header>
<dl class="facts">
<dt>state</dt><dd id="run-state">${stateBadge(r.state)} <span class="muted">workflow ${esc(r.status.toLowerCase())}</span></dd>
<dt>detail</dt><dd id="run-detail">${esc(r.detail || '-')}</dd>
${r.gate ? `<dt>held by</dt><dd class="blocker"><b>${esc(r.gate.class)}</b>: ${esc(r.gate.detail)}</dd>` : ''}
<dt>repo</dt><dd><code>${esc(r.repo ?? '-')}</code></dd>
<dt>integration</dt><dd><code>${esc(r.integrationBranch ?? '-')}</code> → <code>${esc(r.target ?? '-')}</code></dd>
<dt>tasks</dt><dd>${esc(taskCounts(r.tasks) || '-')}</dd>
<dt>elapsed</dt><dd>${esc(formatDuration(elapsed))}</dd>
<dt>usage</dt><dd>${esc(usageText(r))}</dd>
</dl>
${r.unavailable ? `<p class="muted">${esc(r.unavailable)}</p>` : ''}
<section><h2>Tasks</h2>
<table class="tasks" id="run-tasks"><thead><tr><th>task</th><th>lane</th><th>task status</th><th>lane state</th><th>next · reason</th></tr></thead><tbody>${tasks || '<tr class="empty"><td colspan="5">No tasks reported.</td></tr>'}</tbody></table></section>
<section><h2>Lanes of this run</h2>
<table class="lanes">
${LANES_HEAD}
<tbody id="lane-rows">${laneRowsHtml}</tbody>
</table></section>`;
  return page({ title: `run ${r.runId} · Lanes`, body });
}

export function renderRunNotFound(runId: string): string {
  return page({ title: 'No such run · Lanes', body: `<header><h1><a href="/">Lanes</a></h1></header><p class="error">No run ${esc(runId)}. <a href="/">Back to the board</a>.</p>` });
}
