// The lane's start (claimHost, then openLane: preflight, trust gate and worktree in one host
// activity) through the real workflow code: stub activities for the rest, the real git
// preflight where a problem is the point (test/support/lane-stubs.ts composes openLane from
// the stubs' checkTrust, preflightLane and prepareWorktree as the worker does).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createGitActivities } from '../../src/activities/git.js';
import type { LaneEvent } from '../../src/workflows/events.js';
import { trustSignal } from '../../src/workflows/lane/api.js';
import { gitTestbed, fixtureGit as sh, initFixtureRepo } from '../support/git-env.js';
import { happyStubs, lanePacket, runStubbedLane, waitForState } from '../support/lane-stubs.js';
import { connectTestTemporal, type TestTemporal, uniqueTaskQueue } from '../support/temporal.js';

const { tempDir } = gitTestbed('lanes-start-home-');

/** The activity types the lane scheduled, in order. */
async function scheduled(client: Client, workflowId: string): Promise<string[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).flatMap((e) => (e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes.activityType!.name!] : []));
}

function stubbedLane(name: string) {
  const taskQueue = uniqueTaskQueue(name);
  const events: LaneEvent[] = [];
  const stubs = happyStubs(taskQueue, events);
  const worktreeCalls: string[] = [];
  const prepare = stubs.prepareWorktree!;
  stubs.prepareWorktree = async (i: { laneId: string }) => {
    worktreeCalls.push(i.laneId);
    return prepare(i);
  };
  return { taskQueue, laneId: taskQueue, events, stubs, worktreeCalls };
}

describe('lane start (stub activities)', () => {
  let t: TestTemporal;
  beforeAll(async () => {
    t = await connectTestTemporal();
  });
  afterAll(async () => t?.close());

  it('starts in two activities, claimHost then openLane, before its first model turn; the step-by-step ones are not scheduled', async () => {
    const { taskQueue, laneId, events, stubs, worktreeCalls } = stubbedLane('lane-start-one');
    const end = await runStubbedLane(t, taskQueue, { laneId, packet: lanePacket(laneId), fingerprint: 'f' }, stubs);
    expect(end.error).toBeNull();
    expect(end.report).toMatchObject({ state: 'finished', landed: true });
    const acts = await scheduled(t.client, `lane-${laneId}`);
    const firstTurn = acts.indexOf('modelTurn');
    expect(acts.slice(0, firstTurn).filter((a) => a !== 'recordEvents')).toEqual(['claimHost', 'openLane']);
    expect(worktreeCalls).toEqual([laneId]);
    expect(events.find((e) => e.type === 'lane.ready')?.data).toMatchObject({ worktreePath: `/tmp/stub-worktrees/${laneId}`, created: true });
    // Must not: the start's old steps as activities of their own (three more round trips).
    expect(acts.filter((a) => ['preflightLane', 'checkTrust', 'prepareWorktree'].includes(a))).toEqual([]);
  });

  it('an untrusted repository gets no worktree until `lanes trust`; then it is created once and the lane lands', async () => {
    const { taskQueue, laneId, events, stubs, worktreeCalls } = stubbedLane('lane-start-untrusted');
    stubs.checkTrust = async () => ({ trusted: false, trustedRoots: ['/trusted'] });
    let callsWhileWaiting: number | null = null;
    const end = await runStubbedLane(t, taskQueue, { laneId, packet: lanePacket(laneId), fingerprint: 'f' }, stubs, async (client, workflowId) => {
      await waitForState(client, workflowId, 'trust_required');
      callsWhileWaiting = worktreeCalls.length;
      await client.workflow.getHandle(workflowId).signal(trustSignal, { by: 'alice' });
    });
    expect(end.error).toBeNull();
    expect(end.report).toMatchObject({ state: 'finished', landed: true });
    // Must not: a worktree (or a branch) created in a repository nobody trusted yet.
    expect(callsWhileWaiting).toBe(0);
    expect(worktreeCalls).toEqual([laneId]);
    const types = events.map((e) => e.type);
    expect(types.indexOf('lane.trust_required')).toBeLessThan(types.indexOf('lane.trust_resolved'));
    expect(types.indexOf('lane.trust_resolved')).toBeLessThan(types.indexOf('lane.ready'));
    // After the trust: prepareWorktree as its own step (the checks already passed in openLane).
    const acts = await scheduled(t.client, `lane-${laneId}`);
    expect(acts.filter((a) => ['openLane', 'prepareWorktree', 'preflightLane'].includes(a))).toEqual(['openLane', 'prepareWorktree']);
  });

  describe('each preflight problem fails the lane with its class, message and hint (the real git preflight)', () => {
    let repo: string;
    let home: string;
    beforeEach(async () => {
      repo = tempDir('lanes-start-repo-');
      home = tempDir('lanes-start-lh-');
      await initFixtureRepo(repo, { 'README.md': 'hello\n' });
      await sh(repo, 'branch', 'wip');
    });

    it.each([
      ['a missing base', { baseBranch: 'develop' }, /^preflight failed: repo\.baseBranch: base branch "develop" does not exist/, /set repo\.baseBranch/],
      ['a missing target', { target: 'release' }, /^preflight failed: merge\.target: merge target "release" is not a local branch/, /set merge\.target/],
      ['the target as lane branch', { branch: 'main' }, /^preflight failed: branch\.name: branch\.name "main" is the lane's merge target/, /branch of its own/],
      ['a foreign branch', { branch: 'wip' }, /^preflight failed: branch\.name: branch wip already exists and is not this lane's/, /wip is left untouched/],
      ['not a repository', { repoPath: 'plain' }, /^preflight failed: repo\.path: repo\.path .* is not a git work tree/, /git init/],
    ] as [string, Partial<Record<'baseBranch' | 'target' | 'branch' | 'repoPath', string>>, RegExp, RegExp][])('%s', async (_name, over, message, hint) => {
      const { taskQueue, laneId, events, stubs, worktreeCalls } = stubbedLane('lane-start-problem');
      const git = createGitActivities({ home });
      const repoPath = over.repoPath ? tempDir('lanes-start-plain-') : repo;
      stubs.preflightLane = (i) => git.preflightLane({ ...i, repoPath });
      const packet = lanePacket(laneId, (p) => {
        if (over.baseBranch) p.repo.baseBranch = over.baseBranch;
        if (over.target) p.merge.target = over.target;
        if (over.branch) p.branch = { ...p.branch, name: over.branch };
      });
      const end = await runStubbedLane(t, taskQueue, { laneId, packet, fingerprint: 'f' }, stubs);
      expect(end.ok).toBe(false);
      const failed = events.find((e) => e.type === 'lane.failed');
      expect(failed).toMatchObject({ failureClass: 'validator', detail: expect.stringMatching(message), data: { hint: expect.stringMatching(hint) } });
      // Must not: a worktree for a lane whose repository failed its preflight, or a lane that got as far as a model.
      expect(worktreeCalls).toEqual([]);
      expect(existsSync(join(home, 'worktrees', laneId))).toBe(false);
      expect(events.some((e) => e.type === 'lane.ready' || e.type.startsWith('model.'))).toBe(false);
    });
  });
});
