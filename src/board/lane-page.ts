// A lane's page: what it is doing, why it is stuck (with the failing log tail), its
// event timeline, the branch's diff and commits, the landing, and Web UI links.
import type { BoardContext } from './board-page.js';
import { esc, formatDuration, formatTokens, page, stateBadge } from './html.js';
import { webUiLaneUrl } from './links.js';
import type { LaneView } from './lane-view.js';

function diffHtml(patch: string): string {
  return patch
    .split('\n')
    .map((line) => {
      const cls = line.startsWith('+++') || line.startsWith('---') ? 'file' : line.startsWith('+') ? 'add' : line.startsWith('-') ? 'del' : line.startsWith('@@') ? 'hunk' : line.startsWith('diff ') ? 'file' : '';
      return cls ? `<span class="${cls}">${esc(line)}</span>` : esc(line);
    })
    .join('\n');
}

function blockerSection(v: LaneView): string {
  const r = v.row;
  const failing = v.failing
    ? `<h3>Failing test: ${esc(v.failing.command)} <span class="muted">(${esc(v.failing.level)}, ${v.failing.timedOut ? 'timed out' : `exit ${esc(v.failing.exitCode ?? 'killed')}`})</span></h3>
${v.failing.unreadable ? `<p class="muted">${esc(v.failing.unreadable)}</p>` : `<pre class="log" id="failing-log">${esc(v.failing.tail)}</pre>`}
<p class="muted">full log: <code>${esc(v.failing.logPath)}</code></p>`
    : '';
  const blocker = r.blocker
    ? `<p class="blocker" id="blocker"><b>${esc(r.blocker.class)}</b>: ${esc(r.blocker.detail)}</p>`
    : '<p id="blocker" class="muted">No blocker.</p>';
  return `<section><h2>Now</h2>${blocker}<p class="next" id="next">next: ${esc(r.next)}</p>${failing}</section>`;
}

function timeline(v: LaneView): string {
  if (v.eventsUnavailable) return `<section><h2>Timeline</h2><p class="muted">${esc(v.eventsUnavailable)}</p></section>`;
  const rows = v.events
    .map((e) => `<tr${e.failureClass ? ' class="failed-event"' : ''}><td class="num">${e.seq}</td><td>${esc(e.ts.slice(11, 19))}</td><td><code>${esc(e.type)}</code></td><td>${esc(e.state)}</td><td>${esc(e.greenLevel)}</td><td>${esc(e.failureClass ?? '')}</td><td>${esc(e.detail)}</td></tr>`)
    .join('');
  return `<section><h2>Timeline <span class="muted">(${v.events.length} events)</span></h2>
<table class="events" id="timeline"><thead><tr><th>#</th><th>time (UTC)</th><th>event</th><th>state</th><th>green</th><th>class</th><th>detail</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

function changes(v: LaneView): string {
  if (!v.git.ok) return `<section><h2>Changes</h2><p class="muted">${esc(v.git.reason)}</p></section>`;
  const g = v.git.view;
  const commits = g.commits.length
    ? `<ul class="commits" id="commits">${g.commits.map((c) => `<li><code>${esc(c.sha.slice(0, 10))}</code> ${esc(c.subject)}</li>`).join('')}</ul>`
    : '<p class="muted">No commits on the lane branch yet.</p>';
  return `<section><h2>Changes <span class="muted"><code>${esc(g.range)}</code></span></h2>
<h3>Commits</h3>${commits}
<h3>Diff</h3><pre class="stat">${esc(g.stat || '(no changes)')}</pre>
<pre class="diff" id="diff">${diffHtml(g.patch)}</pre>${g.truncated ? '<p class="muted">Diff cut at 200,000 characters; see the branch for the rest.</p>' : ''}</section>`;
}

function landingSection(v: LaneView): string {
  const l = v.landing;
  const text = l ? (l.landed ? `landed on ${l.target ?? 'the target'}${l.mergeCommit ? ` at ${l.mergeCommit.slice(0, 10)}` : ''}` : l.detail) : 'not landed yet';
  return `<section><h2>Landing</h2><p id="landing" class="${l?.landed ? 'landed' : ''}">${esc(text)}</p></section>`;
}

export function renderLanePage(v: LaneView, ctx: BoardContext, now = Date.now()): string {
  const r = v.row;
  const u = r.usage;
  const ui = ctx.webUiUrl
    ? `<a href="${esc(webUiLaneUrl(ctx.webUiUrl, ctx.namespace, r.workflowId, r.runId))}">this lane in the Temporal Web UI</a>`
    : '<span class="muted">Temporal Web UI: not known to this board</span>';
  const elapsed = r.closedAt ? r.elapsedMs : now - Date.parse(r.startedAt);
  const body = `<header><h1><a href="/">Lanes</a> / ${esc(r.laneId)}</h1><nav>${ui}</nav></header>
<p class="objective">${esc(r.objective)}</p>
<dl class="facts">
<dt>state</dt><dd id="lane-state">${stateBadge(r.state)} <span class="muted">workflow ${esc(r.status.toLowerCase())}</span></dd>
<dt>green level</dt><dd>${esc(r.greenLevel)}</dd>
<dt>elapsed</dt><dd>${esc(formatDuration(elapsed))}</dd>
<dt>usage</dt><dd>${u ? `${u.turns} turns · ${formatTokens(u.inputTokens)} in / ${formatTokens(u.outputTokens)} out · $${u.costUsd.toFixed(4)}` : '-'}</dd>
<dt>host</dt><dd>${esc(r.host ?? '-')}</dd>
<dt>repo</dt><dd><code>${esc(r.repo ?? '-')}</code> branch <code>${esc(r.branch ?? '-')}</code></dd>
${r.run ? `<dt>run</dt><dd><a href="/?run=${esc(encodeURIComponent(r.run))}">${esc(r.run)}</a></dd>` : ''}
</dl>
${blockerSection(v)}
${landingSection(v)}
${timeline(v)}
${changes(v)}`;
  return page({ title: `lane ${r.laneId} · Lanes`, body });
}

export function renderNotFound(laneId: string): string {
  return page({ title: 'No such lane · Lanes', body: `<header><h1><a href="/">Lanes</a></h1></header><p class="error">No lane ${esc(laneId)}. <a href="/">Back to the board</a>.</p>` });
}
