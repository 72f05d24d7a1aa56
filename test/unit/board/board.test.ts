// The web board's pure parts: filters to visibility queries, row order, escaping,
// SSE framing, links, and where a failing log may be read from.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderRow } from '../../../src/board/board-page.js';
import { failingLog, readTail } from '../../../src/board/failing-log.js';
import { feedKey, sseMessage } from '../../../src/board/feeds.js';
import { esc, formatDuration } from '../../../src/board/html.js';
import { compareRows, type LaneRow, visibilityQuery } from '../../../src/board/lane-rows.js';
import { boardLaneUrl, webUiLaneUrl } from '../../../src/board/links.js';
import type { LaneEvent } from '../../../src/workflows/events.js';

const row = (laneId: string, state: string, startedAt = '2026-01-01T00:00:00.000Z'): LaneRow => ({
  laneId, workflowId: `lane-${laneId}`, runId: 'r1', status: 'RUNNING', state, greenLevel: 'none', failureClass: null, objective: 'obj',
  repo: '/r', branch: `lanes/${laneId}`, run: null, blocker: null, next: 'wait', startedAt, closedAt: null, elapsedMs: 1000, usage: null, host: null, unavailable: null,
});

const red = (logPath: string): LaneEvent => ({
  schema: 'lanes.event/v1', seq: 1, ts: '2026-01-01T00:00:00.000Z', laneId: 'l1', type: 'lane.red', state: 'running', greenLevel: 'none', failureClass: 'test',
  detail: 'targeted tests red', data: { level: 'targeted', results: [{ name: 'unit', exitCode: 1, timedOut: false, logPath }] },
});

describe('board', () => {
  it('turns filters into a visibility query and refuses values that could leave their quotes', () => {
    expect(visibilityQuery({})).toBe(`WorkflowType = 'laneWorkflow'`);
    expect(visibilityQuery({ state: 'blocked', repo: '/tmp/r-1', run: 'run-7' })).toBe(`WorkflowType = 'laneWorkflow' AND LaneState = 'blocked' AND LaneRepo = '/tmp/r-1' AND LaneRunId = 'run-7'`);
    for (const bad of ["x' OR 'a'='a", 'a"b', 'a\\b', 'a)b']) expect(() => visibilityQuery({ repo: bad })).toThrow(/filter repo=/);
  });

  it.each([
    [['finished', 'blocked', 'running', 'trust_required', 'failed'], ['blocked', 'trust_required', 'running', 'failed', 'finished']],
  ])('orders %j as %j (a person is needed first)', (states, expected) => {
    expect(states.map((s, i) => row(`l${i}`, s)).sort(compareRows).map((r) => r.state)).toEqual(expected);
  });

  it('orders lanes in the same state newest first', () => {
    const rows = [row('old', 'blocked', '2026-01-01T00:00:00.000Z'), row('new', 'blocked', '2026-01-02T00:00:00.000Z')];
    expect(rows.sort(compareRows).map((r) => r.laneId)).toEqual(['new', 'old']);
  });

  it('escapes everything a lane brings into the page', () => {
    const html = renderRow({ ...row('x', 'blocked'), objective: '<script>alert(1)</script>', blocker: { class: 'test', detail: '"><img src=x>' } }, { webUiUrl: null, namespace: 'default' });
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;');
    expect(esc(`&<>"'`)).toBe('&amp;&lt;&gt;&quot;&#39;');
  });

  it('frames SSE messages with one data field per line', () => {
    expect(sseMessage('rows', 'a\nb')).toBe('event: rows\ndata: a\ndata: b\n\n');
    expect(feedKey({ state: 'blocked' })).not.toBe(feedKey({ repo: 'blocked' }));
  });

  it('formats durations and links', () => {
    expect([5_000, 125_000, 3_723_000, 90_000_000].map(formatDuration)).toEqual(['5s', '2m 5s', '1h 2m', '1d 1h']);
    expect(boardLaneUrl('http://127.0.0.1:8234/', 'a b')).toBe('http://127.0.0.1:8234/lanes/a%20b');
    expect(webUiLaneUrl('http://h:8233', 'default', 'lane-x', 'r1')).toBe('http://h:8233/namespaces/default/workflows/lane-x/r1/history');
  });

  it('reads a failing log tail only from inside the lane folder, capped at a line start', () => {
    const home = mkdtempSync(join(tmpdir(), 'board-home-'));
    mkdirSync(join(home, 'lanes', 'l1', 'tests'), { recursive: true });
    const log = join(home, 'lanes', 'l1', 'tests', 'run-targeted-0.log');
    writeFileSync(log, Array.from({ length: 2000 }, (_, i) => `line ${i}`).join('\n') + '\nnot ok 1 - multiply\n');
    const got = failingLog(home, 'l1', [red(log)], (s) => s.replace('multiply', '[REDACTED]'))!;
    expect(got.unreadable).toBeNull();
    expect(got.tail.length).toBeLessThanOrEqual(4_000);
    expect(got.tail).toMatch(/^line \d+\n/);
    expect(got.tail).toContain('not ok 1 - [REDACTED]');
    // Must not: read a file outside the lane's folder because an event names it.
    const outside = join(home, 'secret.txt');
    writeFileSync(outside, 'top secret');
    const refused = failingLog(home, 'l1', [red(outside)], (s) => s)!;
    expect(refused.tail).toBe('');
    expect(refused.unreadable).toMatch(/outside the lane's folder/);
    expect(readTail(log, 9)).toBe('multiply\n');
  });
});
