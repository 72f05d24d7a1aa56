import { describe, expect, it } from 'vitest';
import { FAILURE_CLASSES } from '../../../src/failures.js';
import { recoveryFor } from '../../../src/workflows/recovery.js';
import { markEvent, recommendationFor, summarize, summarizeMarked, type SummaryMarks } from '../../../src/workflows/summary.js';
import { assertValidEvents, type EventSpec, laneEvents } from '../../support/events.js';

const START: EventSpec[] = [
  { type: 'lane.started', state: 'spawning' },
  { type: 'lane.ready', state: 'ready_for_prompt', detail: 'worktree bound' },
  { type: 'lane.prompt_accepted', state: 'prompt_accepted' },
  { type: 'lane.turn.completed', state: 'running' },
  { type: 'lane.commit.created', state: 'running', detail: 'commit abc (work-1)', data: { sha: 'abc123', step: 'work-1' } },
];

const BLOCKED: EventSpec[] = [
  ...START,
  { type: 'lane.red', state: 'running', failureClass: 'test', detail: 'targeted tests red: node --test' },
  { type: 'lane.recovery.attempted', state: 'running', failureClass: 'test' },
  { type: 'lane.turn.completed', state: 'running' },
  { type: 'lane.red', state: 'running', failureClass: 'test', detail: 'targeted tests red again' },
  { type: 'lane.escalated', state: 'running', failureClass: 'test', detail: 'escalated: still red' },
  { type: 'lane.blocked', state: 'blocked', failureClass: 'test', detail: 'targeted tests still red after 1 recovery attempt(s)' },
];

const RESUMED: EventSpec[] = [...BLOCKED, { type: 'lane.resolved', state: 'running', detail: 'resolved with retry', data: { resolution: 'retry' } }];

const TRUST: EventSpec[] = [
  { type: 'lane.started', state: 'spawning' },
  { type: 'lane.trust_required', state: 'trust_required', failureClass: 'trust_gate', detail: '/repos/x is outside the trusted roots' },
];

const FINISHED: EventSpec[] = [
  ...START,
  { type: 'lane.red', state: 'running', failureClass: 'test' },
  { type: 'lane.recovery.attempted', state: 'running', failureClass: 'test' },
  { type: 'lane.green', state: 'running', greenLevel: 'targeted' },
  { type: 'lane.green', state: 'running', greenLevel: 'merge_ready' },
  { type: 'lane.merge.ready', state: 'running', greenLevel: 'merge_ready' },
  { type: 'lane.merged', state: 'running', greenLevel: 'merge_ready', detail: 'landed on main at def456', data: { mergeCommit: 'def456' } },
  { type: 'lane.closeout', state: 'running', greenLevel: 'merge_ready' },
  { type: 'lane.finished', state: 'finished', greenLevel: 'merge_ready', detail: 'finished: merged into main' },
];

const FAILED: EventSpec[] = [
  ...START,
  { type: 'context_window.blocked', state: 'running', failureClass: 'context_window', detail: 'turn 9 needs 250000 tokens' },
  { type: 'lane.closeout', state: 'running' },
  { type: 'lane.failed', state: 'failed', failureClass: 'context_window', detail: 'turn 9 needs 250000 tokens; model allows 196000' },
];

describe('workflows/summary', () => {
  it('summarizes an empty log as a spawning lane with nothing to report', () => {
    expect(summarize('lane-0', [])).toEqual({
      laneId: 'lane-0',
      phase: 'spawning',
      greenLevel: 'none',
      lastSeq: 0,
      lastEvent: null,
      lastCheckpoint: null,
      blocker: null,
      recommendedAction: 'wait: the lane is making progress',
    });
  });

  it('summarizes a blocked lane: the blocker, since when, its recommendation and the last commit', () => {
    const events = laneEvents('lane-b', BLOCKED);
    assertValidEvents(events);
    const s = summarize('lane-b', events);
    expect(s).toMatchObject({ phase: 'blocked', greenLevel: 'none', lastSeq: BLOCKED.length, lastEvent: 'lane.blocked' });
    expect(s.blocker).toEqual({ class: 'test', detail: 'targeted tests still red after 1 recovery attempt(s)', since: events.at(-1)!.ts });
    expect(s.lastCheckpoint).toEqual({ seq: 5, type: 'lane.commit.created', detail: 'commit abc (work-1)', commit: 'abc123' });
    expect(s.recommendedAction).toBe(recommendationFor('test'));
  });

  it('drops the blocker once the lane is resolved and running again', () => {
    const s = summarize('lane-b', laneEvents('lane-b', RESUMED));
    expect(s.phase).toBe('running');
    expect(s.blocker).toBeNull();
    expect(s.recommendedAction).toMatch(/^wait/);
  });

  it('summarizes a lane waiting for trust with the trust gate as blocker and no checkpoint', () => {
    const events = laneEvents('lane-t', TRUST);
    assertValidEvents(events);
    const s = summarize('lane-t', events);
    expect(s).toMatchObject({ phase: 'trust_required', lastCheckpoint: null, blocker: { class: 'trust_gate', detail: '/repos/x is outside the trusted roots' } });
    expect(s.recommendedAction).toContain('lanes trust');
  });

  it('summarizes a finished lane: no blocker from earlier reds, the merge as last checkpoint', () => {
    const events = laneEvents('lane-f', FINISHED);
    assertValidEvents(events);
    const s = summarize('lane-f', events);
    expect(s).toMatchObject({ phase: 'finished', greenLevel: 'merge_ready', lastEvent: 'lane.finished', lastSeq: FINISHED.length });
    expect(s.blocker).toBeNull();
    expect(s.lastCheckpoint).toMatchObject({ type: 'lane.merged', detail: 'landed on main at def456' });
    expect(s.recommendedAction).toBe('none: the lane is finished');
  });

  it('summarizes a failed lane with the class of its terminal event', () => {
    const events = laneEvents('lane-x', FAILED);
    assertValidEvents(events);
    const s = summarize('lane-x', events);
    expect(s.phase).toBe('failed');
    expect(s.blocker).toMatchObject({ class: 'context_window', detail: 'turn 9 needs 250000 tokens; model allows 196000' });
    // An ended lane cannot be resolved: the advice is a new packet, never --retry/--abort.
    expect(s.recommendedAction).toMatch(/ended \(context_window\).*new id/);
    expect(s.recommendedAction).not.toMatch(/--retry|--abort/);
  });

  const APPROVAL: EventSpec[] = [
    ...START,
    { type: 'lane.approval.requested', state: 'awaiting_approval', data: { requestId: 'apr-2-1', tool: 'bash', call: 'rm -rf build', rule: null, recommended: 'lanes approve lane-a apr-2-1' } },
  ];
  it.each([
    ['blocked', BLOCKED],
    ['resumed', RESUMED],
    ['trust', TRUST],
    ['finished', FINISHED],
    ['failed', FAILED],
    ['awaiting approval', APPROVAL],
  ] as const)('summarizeMarked over marks kept event by event equals summarize over the whole %s log, after every event', (_name, specs) => {
    const events = laneEvents('lane-m', [...specs]);
    const marks: SummaryMarks = {};
    events.forEach((e, i) => {
      markEvent(marks, e);
      expect(summarizeMarked('lane-m', e, marks)).toEqual(summarize('lane-m', events.slice(0, i + 1)));
    });
    // Must not: a stale blocker or checkpoint carried past the event that replaced it.
    expect(summarizeMarked('lane-m', events.at(-1), marks).lastSeq).toBe(events.length);
  });

  it.each(FAILURE_CLASSES.map((cls) => [cls] as const))('recommendationFor(%s) says what to do, consistently with its recipe', (cls) => {
    const text = recommendationFor(cls);
    expect(text.length).toBeGreaterThan(10);
    // Only an approvable block (a review) may suggest --approve, and it must.
    if (recoveryFor(cls).approvable) expect(text).toContain(`lanes resolve <lane> --approve`);
    else expect(text).not.toContain('--approve');
    // Classes that end the lane need a new packet (or nothing), never a retry of this one.
    if (recoveryFor(cls).escalateTo === 'failed') expect(text).not.toContain('--retry');
  });
});
