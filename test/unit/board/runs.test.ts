// Runs on the board, the pure parts: the runs' visibility query, their order, task counts,
// the run row (lanes grouped and linked, everything escaped), and the Details links.
import { describe, expect, it } from 'vitest';
import { renderBoard } from '../../../src/board/board-page.js';
import type { LaneRow } from '../../../src/board/lane-rows.js';
import { compareRuns, type RunRow, runVisibilityQuery, taskCounts } from '../../../src/board/run-rows.js';
import { renderRunRow } from '../../../src/board/run-section.js';
import { laneStaticDetails } from '../../../src/workflows/lane/details.js';
import { TaskPacketSchema } from '../../../src/packet/schema.js';

const run = (runId: string, state: string, startedAt = '2026-01-01T00:00:00.000Z', tasks: RunRow['tasks'] = []): RunRow => ({
  runId, workflowId: `run-${runId}`, status: state === 'running' ? 'RUNNING' : 'COMPLETED', state, detail: 'd', failureClass: null, repo: '/r', target: 'main',
  integrationBranch: `lanes-run/${runId}`, gate: null, tasks, startedAt, closedAt: null, elapsedMs: 1000, usage: null, unavailable: null,
});

const lane = (laneId: string, state: string, run: string | null): LaneRow => ({
  laneId, workflowId: `lane-${laneId}`, runId: 'r1', status: 'RUNNING', state, greenLevel: 'none', failureClass: null, objective: 'obj',
  repo: '/r', branch: `lanes/${laneId}`, run, blocker: null, next: 'wait', startedAt: '2026-01-01T00:00:00.000Z', closedAt: null, elapsedMs: 1, usage: null, host: null, unavailable: null,
});

describe('board runs', () => {
  it('queries runs by the run and repo filters; a lane state does not apply; a hostile value is refused', () => {
    expect(runVisibilityQuery({})).toBe(`WorkflowType = 'runWorkflow'`);
    expect(runVisibilityQuery({ state: 'blocked', repo: '/tmp/r', run: 'p1' })).toBe(`WorkflowType = 'runWorkflow' AND LaneRepo = '/tmp/r' AND LaneRunId = 'p1'`);
    expect(() => runVisibilityQuery({ run: "x' OR 'a'='a" })).toThrow(/filter run=/);
    // Must not: a hostile state value slip through because runs ignore the state filter.
    expect(() => runVisibilityQuery({ state: "x' OR 'a'='a" })).toThrow(/filter state=/);
  });

  it('orders running runs first, then failed, cancelled, finished; newest first within a state', () => {
    const rows = [run('f', 'finished'), run('old', 'running'), run('x', 'failed'), run('new', 'running', '2026-01-02T00:00:00.000Z'), run('c', 'cancelled')];
    expect(rows.sort(compareRuns).map((r) => r.runId)).toEqual(['new', 'old', 'x', 'c', 'f']);
  });

  it('counts tasks by status in a fixed order', () => {
    const t = (status: string) => ({ taskId: status, laneId: `p.${status}`, status, failureClass: null, reason: null });
    expect(taskCounts([t('landed'), t('running'), t('landed'), t('failed')])).toBe('1 running · 1 failed · 2 landed');
    expect(taskCounts([])).toBe('');
  });

  it('a run row groups its lanes, links each to its page, shows a lane blocked inside a running task, and escapes', () => {
    const r = run('p<1>', 'running', undefined, [
      { taskId: 'a', laneId: 'p.a', status: 'running', failureClass: null, reason: null },
      { taskId: 'b"x', laneId: 'p.b', status: 'failed', failureClass: 'test', reason: 'red' },
    ]);
    const html = renderRunRow(r, new Map([['p.a', lane('p.a', 'blocked', 'p<1>')]]));
    expect(html).toContain('href="/runs/p%3C1%3E"');
    expect(html).toContain('<li data-lane="p.a" data-status="running"><a href="/lanes/p.a">a</a>');
    expect(html).toContain('state-blocked');
    expect(html).toContain('<b class="cls">test</b>');
    // Must not: raw markup from ids.
    expect(html).not.toContain('<1>');
    expect(html).not.toContain('b"x');
  });

  it('the board shows the runs section and a run select only when runs exist', () => {
    const ctx = { webUiUrl: null, namespace: 'default' };
    const without = renderBoard([lane('l', 'running', null)], [], {}, ctx);
    expect(without).not.toContain('id="run-rows"');
    const withRuns = renderBoard([], [run('p1', 'finished')], { run: 'p0' }, ctx);
    expect(withRuns).toContain('id="run-rows" sse-swap="runs"');
    expect(withRuns).toContain('<option value="p1">p1</option>');
    // The run asked for stays selectable even when it is not in the listing.
    expect(withRuns).toContain('<option value="p0" selected>p0</option>');
  });

  it("a lane's Details link to its board page; without a board URL there is no link", () => {
    const packet = { ...TaskPacketSchema.parse({ id: 'p.a', objective: 'o', repo: { path: '/r' }, acceptance: { targeted: ['true'] }, agent: { provider: 'scripted', model: 'scripted', script: [{ text: 'done' }] } }), id: 'p.a' };
    const d = laneStaticDetails(packet, 'http://127.0.0.1:8234/');
    expect(d.split('\\\n')).toEqual(['repo /r', 'branch lanes/p.a from main · provider scripted (offline)', '[lane page on the board](http://127.0.0.1:8234/lanes/p.a)']);
    expect(laneStaticDetails(packet)).not.toContain('board');
  });
});
