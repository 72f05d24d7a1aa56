// Every mistake gets a clear answer and loses nothing (issue 10): ordinary user mistakes
// are refused at `lanes submit` with exit 2, the cause and a fix, before any workflow
// starts; someone else's branch is never adopted, merged or deleted. Real CLI, git, server.
import { join } from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LaneStack, mockPacket, startLaneStack } from '../support/lane-stack.js';
import { laneIdOf, mistakePacket, REPO_MISTAKES } from '../support/repo-mistakes.js';

let stack: LaneStack;

beforeAll(async () => {
  stack = await startLaneStack({ worker: false });
});

afterAll(async () => {
  await stack?.stop();
});

/** Proves no workflow exists for the lane: a refused packet starts nothing. */
async function expectNoWorkflow(laneId: string): Promise<void> {
  await expect(stack.client.workflow.getHandle(`lane-${laneId}`).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
}

/** Submits a packet that must be refused at submit; returns the JSON error body. */
async function refused(laneId: string, packet: Record<string, unknown>): Promise<{ class: string; code: string; message: string; hint: string }> {
  const file = stack.writePacket(laneId, packet);
  const r = await stack.cli(['submit', file, '--wait', '--json']);
  expect(r.exitCode, r.stdout + r.stderr).toBe(2);
  const error = r.json().error;
  expect(error.code).toBe('validation');
  expect(error.hint).toMatch(/\S/);
  // Must NOT: a workflow started for a refused packet.
  await expectNoWorkflow(laneId);
  return error;
}

describe('branch safety at submit', () => {
  it("a packet naming someone's WIP branch is refused; the branch survives untouched and nothing of it reaches main", async () => {
    const repo = await stack.fixture('wip-branch');
    await repo.git('switch', '-q', '-c', 'wip/feature');
    const wipHead = await repo.commitFiles({ 'notes.txt': 'half-done work\n' }, 'WIP: unreviewed');
    await repo.git('switch', '-q', 'main');
    const mainHead = await repo.head();
    const laneId = 'wip-branch';

    const error = await refused(laneId, mockPacket(laneId, repo.path, 'unused', { branch: { name: 'wip/feature' } }));
    expect(error.message).toContain('branch.name: branch wip/feature already exists and is not this lane');
    expect(error.message).toMatch(/1 commit\(s\) that are not this lane's/);
    expect(error.hint).toMatch(/set branch\.name in the packet to a new branch name/);
    // Must NOT: a foreign commit on main, a deleted or moved branch.
    expect(await repo.head('wip/feature')).toBe(wipHead);
    expect(await repo.head()).toBe(mainHead);
    expect(await repo.git('branch', '--list', 'lanes/*')).toBe('');
  });

  it('a branch checked out in another worktree, another lane branch and the target itself are refused', async () => {
    const repo = await stack.fixture('busy-branch');
    await repo.git('worktree', 'add', '-q', '-b', 'elsewhere', join(stack.reposDir, 'busy-branch-wt'));
    await repo.git('branch', 'lanes/other-lane');
    await repo.git('config', 'branch.lanes/other-lane.lanesLaneId', 'other-lane');
    const mainHead = await repo.head();

    const wt = await refused('busy-1', mockPacket('busy-1', repo.path, 'unused', { branch: { name: 'elsewhere' } }));
    expect(wt.message).toMatch(/branch elsewhere already exists and is not this lane's: it already exists \(at [0-9a-f]{12}\) and was not created by this lane/);
    const other = await refused('busy-2', mockPacket('busy-2', repo.path, 'unused', { branch: { name: 'lanes/other-lane' } }));
    expect(other.message).toContain('it was created by lane other-lane');
    const target = await refused('busy-3', mockPacket('busy-3', repo.path, 'unused', { branch: { name: 'main' } }));
    expect(target.message).toContain(`branch.name: branch.name "main" is the lane's merge target`);
    // Must NOT: any branch deleted or moved.
    expect(await repo.git('branch', '--format=%(refname:short)')).toBe(['elsewhere', 'lanes/other-lane', 'main'].join('\n'));
    expect(await repo.head()).toBe(mainHead);
  });
});

describe('preflight at submit: each repository mistake, its cause and its fix', () => {
  it.each(REPO_MISTAKES.map((m) => [m.label, m] as const))('%s is refused with exit 2, naming the field, before any workflow starts', async (label, mistake) => {
    const laneId = laneIdOf('pre', label);
    const error = await refused(laneId, mistakePacket(mistake, laneId, await mistake.make(stack, laneId), 'unused'));
    expect(error.message).toMatch(mistake.message);
    expect(error.hint).toMatch(mistake.hint);
    expect(error.class).toBe('validator');
    // Must NOT: Temporal's wording instead of the cause.
    expect(error.message).not.toMatch(/Activity task failed|Failed to start Workflow/);
  });

  it('a missing merge target is refused the same way', async () => {
    const repo = await stack.fixture('no-target');
    const error = await refused('pre-no-target', mockPacket('pre-no-target', repo.path, 'unused', { merge: { target: 'release' } }));
    expect(error.message).toMatch(/merge\.target: merge target "release" is not a local branch/);
    expect(error.hint).toMatch(/set merge\.target to an existing local branch/);
  });

  it('ids git refuses (a..b, x.lock) are refused by the schema with exit 2', async () => {
    const repo = await stack.fixture('bad-ids');
    for (const id of ['a..b', 'x.lock']) {
      const file = stack.writePacket(`bad-id-${id.length}`, mockPacket(id, repo.path, 'unused'));
      const r = await stack.cli(['submit', file, '--json']);
      expect(r.exitCode).toBe(2);
      expect(r.json().error.message).toContain(`id: "${id}" cannot name the git branch lanes/${id}`);
      await expectNoWorkflow(id);
    }
  });

  it('a packet over the payload limit is refused naming the limit and its biggest field', async () => {
    const repo = await stack.fixture('too-big');
    const laneId = 'too-big';
    const big = { ...mockPacket(laneId, repo.path, 'unused'), agent: { provider: 'anthropic', model: 'claude-sonnet-4-5', system: 'x'.repeat(1_200_000) } };
    const error = await refused(laneId, big);
    expect(error.message).toMatch(/the packet is \d+ KiB as JSON, over the 1024 KiB limit \(half of Temporal's 2048 KiB payload limit\); its biggest field is agent\.system/);
    expect(error.hint).toContain('Shrink agent.system');
  });

  it('a repository outside the trusted roots is reported at submit (the lane will wait for `lanes trust`)', async () => {
    const repo = await stack.fixture('untrusted-note', { trusted: false });
    const json = stack.writePacket('untrusted-json', mockPacket('untrusted-json', repo.path, 'unused'));
    const r = await stack.cli(['submit', json, '--json']);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.json()).toMatchObject({ laneId: 'untrusted-json', attached: false, preflight: { trusted: false } });
    const textFile = stack.writePacket('untrusted-text', mockPacket('untrusted-text', repo.path, 'unused'));
    const text = await stack.cli(['submit', textFile]);
    expect(text.exitCode).toBe(0);
    expect(text.stderr).toContain(`is outside the trusted roots`);
    expect(text.stderr).toContain('`lanes trust untrusted-text`');
    // Attaching to an existing lane runs no preflight (and prints no note) again.
    const again = await stack.cli(['submit', textFile]);
    expect(again.stdout).toMatch(/attached to existing lane untrusted-text/);
    expect(again.stderr).not.toContain('trusted roots');
    for (const id of ['untrusted-json', 'untrusted-text']) await stack.client.workflow.getHandle(`lane-${id}`).terminate('test cleanup');
  });
});
