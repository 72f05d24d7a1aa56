// Landing without a second test run (merge.retestCandidate): a lane whose candidate is
// provably the tree its worktree tests ran green on lands without building a candidate
// worktree or running the tests again; a moved target, an ignored file in the worktree or
// `retestCandidate: always` build and test a real candidate as before. Built `lanes` CLI,
// `lanes worker` child, mock model over HTTP, real git fixtures; the candidate folder is
// watched with inotify, so "no candidate worktree" is seen, not inferred.
import { type FSWatcher, mkdirSync, watch } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALCULATOR_FILES, CALCULATOR_FIX, type FixtureRepo } from '../../src/demo/fixture-repo.js';
import type { LaneEvent } from '../../src/workflows/events.js';
import { eventsFile, laneDir, mergeCount, type MockTurn, waitForStatus } from '../support/lane-assertions.js';
import { type LaneStack, mockPacket, startLaneStack } from '../support/lane-stack.js';
import { existsSync } from 'node:fs';

const FIX: MockTurn[] = [{ text: 'fixing', toolCalls: [{ name: 'write_file', input: { path: 'src/math.js', content: CALCULATOR_FIX } }] }, { text: 'done' }];
/** The fix, plus a log file the repository's .gitignore ignores (left in the worktree, never committed). */
const FIX_WITH_LOG: MockTurn[] = [
  { text: 'fixing', toolCalls: [{ name: 'write_file', input: { path: 'src/math.js', content: CALCULATOR_FIX } }, { name: 'write_file', input: { path: 'src/debug.log', content: 'scratch\n' } }] },
  { text: 'done' },
];

let stack: LaneStack;
const created = new Set<string>();
let watcher: FSWatcher;

beforeAll(async () => {
  stack = await startLaneStack();
  // Every name that appears in the worktrees folder while these lanes run (inotify).
  const worktrees = join(stack.home, 'worktrees');
  mkdirSync(worktrees, { recursive: true });
  watcher = watch(worktrees, (_event, name) => name && created.add(String(name)));
});

afterAll(async () => {
  watcher?.close();
  await stack?.stop();
});

async function submit(laneId: string, repo: FixtureRepo, turns: MockTurn[], overrides: Record<string, unknown> = {}) {
  stack.mock.script(laneId, turns);
  const r = await stack.cli(['submit', stack.writePacket(laneId, mockPacket(laneId, repo.path, laneId, overrides)), '--wait', '--json'], { timeoutMs: 120_000 });
  expect(r.exitCode, r.stdout + r.stderr).toBe(0);
  return r.json();
}

const testRuns = (events: LaneEvent[]) => events.filter((e) => e.type === 'lane.tests.started' || e.type === 'lane.tests.finished');
const mergeReady = (events: LaneEvent[]) => events.find((e) => e.type === 'lane.merge.ready')!;

/** A candidate that was built and tested: a second test pair on the candidate, its folder seen, the report says why. */
function expectRetested(laneId: string, report: any, why: RegExp) {
  const events = eventsFile(stack, laneId);
  expect(testRuns(events).map((e) => `${e.type}:${e.data.where ?? e.data.level}`)).toEqual([
    'lane.tests.started:worktree',
    'lane.tests.finished:targeted',
    'lane.tests.started:candidate',
    'lane.tests.finished:merge_ready',
  ]);
  expect(created.has(`${laneId}.candidate`)).toBe(true);
  expect(mergeReady(events).data).toMatchObject({ retested: true });
  expect(String(mergeReady(events).data.reason)).toMatch(why);
  expect(report.candidate).toMatchObject({ retested: true, tree: null });
  expect(report.candidate.reason).toMatch(why);
  expect(existsSync(join(laneDir(stack, laneId), 'tests', 'land-1-merge_ready.json'))).toBe(true);
}

describe('candidate reuse', () => {
  it('an unmoved target: lands the tested tree without a candidate worktree or a second test run', async () => {
    const repo = await stack.fixture('reuse-plain');
    const baseHead = await repo.head();
    const report = await submit('reuse-plain', repo, FIX);
    expect(report).toMatchObject({ state: 'finished', greenLevel: 'merge_ready', landed: true });

    // The fix is on main, in exactly one merge commit: parents (old main, lane head), tree = the lane head's tree.
    expect(await repo.git('show', 'main:src/math.js')).toContain('export function multiply');
    expect(await mergeCount(repo)).toBe(1);
    const mainHead = await repo.head();
    expect(report.mergeCommit).toBe(mainHead);
    const [first, laneHead, ...more] = (await repo.git('log', '-1', '--format=%P', mainHead)).trim().split(' ');
    expect(first).toBe(baseHead);
    expect(more).toEqual([]);
    expect(await repo.git('rev-parse', `${mainHead}^{tree}`)).toBe(await repo.git('rev-parse', `${laneHead}^{tree}`));
    expect(laneHead).toBe(report.commits.at(-1).sha);
    expect(await repo.git('log', '-1', '--format=%(trailers:key=Lane-Step,valueonly)', mainHead)).toContain('land');

    const events = eventsFile(stack, 'reuse-plain');
    // Exactly one test run pair, in the worktree; must not: tests on a candidate, a candidate folder, its result file.
    expect(testRuns(events).map((e) => e.data.level)).toEqual(['targeted', 'targeted']);
    expect(testRuns(events).some((e) => e.data.where === 'candidate')).toBe(false);
    expect(created.has('reuse-plain')).toBe(true); // the watcher sees the lane's own worktree
    expect(created.has('reuse-plain.candidate')).toBe(false);
    expect(existsSync(join(laneDir(stack, 'reuse-plain'), 'tests', 'land-1-merge_ready.json'))).toBe(false);
    // The event and the report say it was not retested, which tree, and the run it stands on.
    const ready = mergeReady(events);
    expect(ready.greenLevel).toBe('merge_ready');
    expect(ready.data).toMatchObject({ retested: false, tree: await repo.git('rev-parse', `${laneHead}^{tree}`), level: 'targeted', attemptKey: 'pass-1-run-1' });
    expect(ready.detail).toMatch(/not retested/);
    expect(report.candidate).toMatchObject({ retested: false, level: 'targeted', attemptKey: 'pass-1-run-1', tree: ready.data.tree });
    expect(events.map((e) => e.type)).toContain('lane.merged');
  });

  it('a target that moved after the worktree tests: the candidate is merged and tested, never reused', async () => {
    const repo = await stack.fixture('reuse-moved');
    stack.mock.script('reuse-moved', FIX);
    const packet = mockPacket('reuse-moved', repo.path, 'reuse-moved', { merge: { requireReview: true } });
    expect((await stack.cli(['submit', stack.writePacket('reuse-moved', packet)])).exitCode).toBe(0);
    // Green in the worktree, waiting for the review: now someone lands on main.
    await waitForStatus(stack, 'reuse-moved', (s) => s.phase === 'blocked');
    const moved = await repo.commitFiles({ 'NOTES.md': 'meanwhile\n' }, 'meanwhile on main');
    expect((await stack.cli(['resolve', 'reuse-moved', '--approve'])).exitCode).toBe(0);
    const r = await stack.cli(['submit', stack.writePacket('reuse-moved', packet), '--wait', '--json'], { timeoutMs: 120_000 });
    const report = r.json();
    expect(report).toMatchObject({ state: 'finished', landed: true });

    expectRetested('reuse-moved', report, /target has commits the lane branch lacks/);
    // The landed merge holds both sides: it was really merged on the moved target.
    const mainHead = await repo.head();
    expect((await repo.git('log', '-1', '--format=%P', mainHead)).trim().split(' ')[0]).toBe(moved);
    expect(await repo.git('show', 'main:NOTES.md')).toBe('meanwhile');
    expect(await repo.git('show', 'main:src/math.js')).toContain('export function multiply');
  });

  it('an ignored file in the worktree when the tests started: the candidate is tested', async () => {
    const repo = await stack.fixture('reuse-ignored', { files: { ...CALCULATOR_FILES, '.gitignore': '*.log\n' } });
    const report = await submit('reuse-ignored', repo, FIX_WITH_LOG);
    expect(report).toMatchObject({ state: 'finished', landed: true });
    expectRetested('reuse-ignored', report, /ignored, untracked or uncommitted files/);
    // Must not: commit the ignored file.
    await expect(repo.git('show', 'main:src/debug.log')).rejects.toThrow();
  });

  it('merge.retestCandidate always: the candidate is tested even when it is the tested tree', async () => {
    const repo = await stack.fixture('reuse-always');
    const report = await submit('reuse-always', repo, FIX, { merge: { retestCandidate: 'always' } });
    expect(report).toMatchObject({ state: 'finished', landed: true });
    expectRetested('reuse-always', report, /retestCandidate is "always"/);
    expect(await mergeCount(repo)).toBe(1);
  });
});
