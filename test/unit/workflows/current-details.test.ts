// The Web UI's Current Details of a lane: three short lines in order of importance,
// markdown the UI renders, nothing from event text that could become markup.
import { describe, expect, it } from 'vitest';
import { currentDetails, markdownText, summarize } from '../../../src/workflows/summary.js';
import { type EventSpec, laneEvents } from '../../support/events.js';

const BLOCKED: EventSpec[] = [
  { type: 'lane.started', state: 'spawning' },
  { type: 'lane.red', state: 'running', failureClass: 'test', detail: 'targeted tests red: node --test' },
  {
    type: 'lane.blocked', state: 'blocked', failureClass: 'test', detail: 'targeted tests still red after 1 recovery attempt(s)',
    data: { failingTail: 'not ok 2 - multiply\n  9 !== 20\n' },
  },
];

describe('workflows/summary currentDetails', () => {
  it('puts phase and next action first, the blocker second, the last event last, one line each', () => {
    const events = laneEvents('b-red', BLOCKED);
    const s = summarize('b-red', events);
    const md = currentDetails(s, { lastDetail: events.at(-1)!.detail });
    const lines = md.split('\\\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe('**blocked** · next: inspect the failing test log in the lane folder, then `lanes resolve b-red --retry` or `--abort`');
    expect(lines[1]).toBe('blocker: test — targeted tests still red after 1 recovery attempt(s)');
    // Must not: repeat the blocker's sentence on the last line.
    expect(lines[2]).toBe('last: \\#3 lane.blocked · green none');
    expect(md).not.toContain('\n\n');
    expect(s.blocker?.tail).toBe('not ok 2 - multiply\n  9 !== 20\n');
  });

  it('shows the last event detail when it says something new, and says when the provider is scripted', () => {
    const events = laneEvents('l', [{ type: 'lane.started', state: 'spawning' }, { type: 'lane.turn.completed', state: 'running', detail: 'turn 3: 1 tool call(s)' }]);
    const md = currentDetails(summarize('l', events), { lastDetail: 'turn 3: 1 tool call(s)', scripted: true });
    expect(md.split('\\\n')).toEqual(['**running** · next: wait: the lane is making progress', 'blocker: none', 'last: \\#2 lane.turn.completed — turn 3: 1 tool call(s) · green none · scripted provider']);
  });

  it('keeps event text from becoming HTML or markup, on one capped line', () => {
    const text = markdownText('<img src=x onerror=alert(1)> **bold** `code` [link](http://x)\nsecond line ' + 'x'.repeat(200));
    expect(text).not.toMatch(/<img|\n/);
    expect(text).toContain('&lt;img');
    expect(text).toContain('\\*\\*bold\\*\\*');
    expect(text).toContain('\\[link\\]');
    expect(text.replace(/\\/g, '').replace(/&lt;|&gt;/g, '<').length).toBeLessThanOrEqual(100);
  });
});
