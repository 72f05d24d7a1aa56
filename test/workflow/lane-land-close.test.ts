// The landing's tail in fewer activities (issue #12): a lane with no MCP servers has its git
// closeout done by the fast-forward's own activity once it landed, and closeout only reports
// it. Real dev server, the real git activities over a fixture repository (worktree, commits,
// candidate, fast-forward, closeout); the model turn and the test run are stubs.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { createGitActivities } from '../../src/activities/git.js';
import type { LaneEvent } from '../../src/workflows/events.js';
import { resolveUpdate } from '../../src/workflows/lane/api.js';
import { fixtureGit as sh, gitTestbed, initFixtureRepo } from '../support/git-env.js';
import { happyStubs, lanePacket, runStubbedLane, stubReply } from '../support/lane-stubs.js';
import { connectTestTemporal, type TestTemporal, uniqueTaskQueue } from '../support/temporal.js';

const { tempDir } = gitTestbed('lanes-land-close-');
let t: TestTemporal;
beforeAll(async () => {
  t = await connectTestTemporal();
});
afterAll(async () => t?.close());

/** A lane over a real repository: the first model turn writes src/math.js; `advance` may wrap the real fast-forward. */
async function realGitLane(name: string, patch: (p: any) => void = () => undefined) {
  const taskQueue = uniqueTaskQueue(name);
  const laneId = taskQueue;
  const home = tempDir('home-');
  const repo = tempDir('repo-');
  const baseHead = await initFixtureRepo(repo, { 'math.js': 'export const add = (a, b) => a + b;\n', 'README.md': 'calc\n' });
  const events: LaneEvent[] = [];
  const stubs = happyStubs(taskQueue, events);
  const git = createGitActivities({ home });
  const calls: { advance: any[] } = { advance: [] };
  Object.assign(stubs, {
    prepareWorktree: git.prepareWorktree,
    commitWork: git.commitWork,
    prepareCandidate: git.prepareCandidate,
    removeCandidate: git.removeCandidate,
    closeout: git.closeout,
    landedCommits: git.landedCommits,
    // Green on the first attempt (a retried run is never reused).
    runAcceptance: async () => ({ passed: true, ranInAttempt: 1, results: [{ name: 'unit tests', exitCode: 0, timedOut: false, tail: '' }] }),
    advanceTarget: async (i: any) => {
      calls.advance.push(i);
      return git.advanceTarget(i);
    },
    modelTurn: async (i: { turn: number }) => {
      if (i.turn === 1) writeFileSync(join(home, 'worktrees', laneId, 'math.js'), 'export const add = (a, b) => a + b;\nexport const mul = (a, b) => a * b;\n');
      return stubReply(i.turn, false);
    },
  });
  const packet = lanePacket(laneId, (p) => {
    p.repo.path = repo;
    patch(p);
  });
  const input = { laneId, packet, fingerprint: 'f' };
  const activities = async () => {
    const history = await t.client.workflow.getHandle(`lane-${laneId}`).fetchHistory();
    return history.events!.flatMap((e) => (e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes.activityType!.name!] : []));
  };
  const landMerges = async () => (await sh(repo, 'log', '--merges', '--format=%(trailers:key=Lane-Step,valueonly)', `${baseHead}..main`)).split('\n').filter((s) => s === 'land').length;
  return { taskQueue, laneId, home, repo, baseHead, events, stubs, git, calls, input, activities, landMerges, worktree: join(home, 'worktrees', laneId) };
}

describe('landing and closeout in one activity (real git, stub model and tests)', () => {
  it('a reused candidate lands exactly once; the fast-forward closes the lane out and no closeout activity runs', async () => {
    const lane = await realGitLane('land-close-reuse');
    const end = await runStubbedLane(t, lane.taskQueue, lane.input, lane.stubs);
    expect(end.error).toBeNull();
    expect(end.report).toMatchObject({ state: 'finished', landed: true, candidate: { retested: false } });
    expect(await lane.landMerges()).toBe(1);
    expect(end.report!.mergeCommit).toBe(await sh(lane.repo, 'rev-parse', 'main'));
    expect(existsSync(lane.worktree)).toBe(false);
    expect(await sh(lane.repo, 'branch', '--list', `lanes/${lane.laneId}`)).toBe('');

    const acts = await lane.activities();
    // The tail: one prepareCandidate, one advanceTarget that also closed out; no closeout, removeCandidate or landedCommits after it.
    expect(acts.filter((a) => a === 'prepareCandidate')).toHaveLength(1);
    expect(acts.filter((a) => a === 'advanceTarget')).toHaveLength(1);
    expect(acts).not.toContain('closeout');
    expect(acts).not.toContain('removeCandidate');
    expect(acts.filter((a) => a === 'runAcceptance')).toHaveLength(1); // the worktree run only: the candidate was reused
    expect(lane.calls.advance[0].closeout).toEqual({ worktreePath: lane.worktree, branch: `lanes/${lane.laneId}` });
    // The closeout event still says what was removed, after lane.merged and before lane.finished.
    const types = lane.events.map((e) => e.type);
    expect(types.indexOf('lane.merged')).toBeLessThan(types.indexOf('lane.closeout'));
    expect(types.indexOf('lane.closeout')).toBeLessThan(types.indexOf('lane.finished'));
    expect(lane.events.find((e) => e.type === 'lane.closeout')?.data).toMatchObject({ worktreeRemoved: true, branchDeleted: true });
  });

  it('a target that moved during landing: nothing lands or closes out then; the rebuilt, tested candidate lands once and closes out', async () => {
    const lane = await realGitLane('land-close-moved');
    let moved = '';
    const advance = lane.stubs.advanceTarget!;
    lane.stubs.advanceTarget = async (i: any) => {
      if (!moved) {
        writeFileSync(join(lane.repo, 'NOTES.md'), 'meanwhile\n');
        await sh(lane.repo, 'add', 'NOTES.md');
        await sh(lane.repo, 'commit', '-q', '-m', 'someone else landed');
        moved = await sh(lane.repo, 'rev-parse', 'main');
      }
      return advance(i);
    };
    const end = await runStubbedLane(t, lane.taskQueue, lane.input, lane.stubs);
    expect(end.error).toBeNull();
    expect(end.report).toMatchObject({ state: 'finished', landed: true, candidate: { retested: true } });
    // Must NOT: a landing over the moved head, or a second land commit.
    expect(await lane.landMerges()).toBe(1);
    expect((await sh(lane.repo, 'log', '-1', '--format=%P', 'main')).split(' ')[0]).toBe(moved);
    const acts = await lane.activities();
    expect(acts.filter((a) => a === 'advanceTarget')).toHaveLength(2);
    expect(acts.filter((a) => a === 'prepareCandidate')).toHaveLength(2);
    expect(acts).not.toContain('closeout');
    expect(existsSync(lane.worktree)).toBe(false);
  });

  it('a dirty target checkout blocks without landing or closing out; after the edit is stashed, --retry lands once', async () => {
    const lane = await realGitLane('land-close-dirty');
    writeFileSync(join(lane.repo, 'README.md'), 'local edit, not committed\n');
    const seen = { worktreeWhileBlocked: false, branchWhileBlocked: '', mainWhileBlocked: '' };
    const record = lane.stubs.recordEvents!;
    let resolved = false;
    lane.stubs.recordEvents = async (i: { events: LaneEvent[] }) => {
      const r = await record(i);
      if (!resolved && i.events.some((e) => e.type === 'lane.blocked')) {
        resolved = true;
        seen.worktreeWhileBlocked = existsSync(join(lane.worktree, 'math.js'));
        seen.branchWhileBlocked = await sh(lane.repo, 'branch', '--list', `lanes/${lane.laneId}`);
        seen.mainWhileBlocked = await sh(lane.repo, 'rev-parse', 'main');
        await sh(lane.repo, 'stash');
        await t.client.workflow.getHandle(`lane-${lane.laneId}`).executeUpdate(resolveUpdate, { args: [{ action: 'retry', note: 'stashed' }] });
      }
      return r;
    };
    const end = await runStubbedLane(t, lane.taskQueue, lane.input, lane.stubs);
    expect(end.error).toBeNull();
    expect(lane.events.find((e) => e.type === 'lane.blocked')?.data.recommended).toContain(`commit or stash the changes in ${lane.repo}`);
    // Must NOT while blocked: the target moved over the edit, or the lane's worktree and branch removed.
    expect(seen).toEqual({ worktreeWhileBlocked: true, branchWhileBlocked: expect.stringContaining(`lanes/${lane.laneId}`), mainWhileBlocked: lane.baseHead });
    expect(end.report).toMatchObject({ state: 'finished', landed: true });
    expect(await lane.landMerges()).toBe(1);
    expect(await sh(lane.repo, 'stash', 'list')).toMatch(/stash@\{0\}/);
    expect((await lane.activities()).filter((a) => a === 'closeout')).toHaveLength(0);
    expect(existsSync(lane.worktree)).toBe(false);
  });

  it('a lane with MCP servers stops them before its worktree goes: the fast-forward does not close out, closeout does', async () => {
    const lane = await realGitLane('land-close-mcp', (p) => {
      p.mcp = { servers: { notes: { command: 'node', args: ['-e', ''] } } };
    });
    lane.stubs.startMcp = async () => ({ healthy: [], failed: [], degraded: [] });
    const end = await runStubbedLane(t, lane.taskQueue, lane.input, lane.stubs);
    expect(end.error).toBeNull();
    expect(end.report).toMatchObject({ state: 'finished', landed: true });
    const acts = await lane.activities();
    expect(lane.calls.advance[0].closeout).toBeUndefined();
    // Must NOT: the worktree removed before stopMcp.
    expect(acts.indexOf('stopMcp')).toBeLessThan(acts.indexOf('closeout'));
    expect(acts.indexOf('advanceTarget')).toBeLessThan(acts.indexOf('stopMcp'));
    expect(existsSync(lane.worktree)).toBe(false);
  });
});
