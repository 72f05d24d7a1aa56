// `lanes clean` through the built CLI on real git: an ended lane's leftovers go, a dirty
// worktree and a branch with unlanded commits stay unless --force, and it says why.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FixtureRepo } from '../../src/demo/fixture-repo.js';
import { type LaneStack, startLaneStack } from '../support/lane-stack.js';

let stack: LaneStack;

beforeAll(async () => {
  stack = await startLaneStack({ worker: false });
});

afterAll(async () => {
  await stack?.stop();
});

/** What an ended lane can leave: its folder with report.json, its worktree on its own (marked) branch. */
async function leftLane(repo: FixtureRepo, laneId: string): Promise<string> {
  const wt = join(stack.home, 'worktrees', laneId);
  const branch = `lanes/${laneId}`;
  await repo.git('config', '--local', `branch.${branch}.lanesLaneId`, laneId);
  await repo.git('worktree', 'add', '-b', branch, wt, 'main');
  mkdirSync(join(stack.home, 'lanes', laneId), { recursive: true });
  writeFileSync(join(stack.home, 'lanes', laneId, 'report.json'), JSON.stringify({ laneId, repo: repo.path, branch, target: 'main' }));
  return wt;
}

describe('lanes clean', () => {
  it('keeps a dirty worktree (and a branch with unlanded commits) without --force, says why, and removes them with it', async () => {
    const repo = await stack.fixture('clean');
    const dirty = await leftLane(repo, 'cl-dirty');
    writeFileSync(join(dirty, 'wip.txt'), 'unsaved work\n');
    const ahead = await leftLane(repo, 'cl-ahead');
    writeFileSync(join(ahead, 'done.txt'), 'committed, never landed\n');
    await repo.git('-C', ahead, 'add', '-A');
    await repo.git('-C', ahead, 'commit', '-q', '-m', 'work');
    const landed = await leftLane(repo, 'cl-landed');

    const dry = await stack.cli(['--json', 'clean', '--dry-run', '--force']);
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(dry.json().removed.length).toBeGreaterThan(0);
    // A dry run changes nothing.
    for (const p of [dirty, ahead, landed]) expect(existsSync(p)).toBe(true);

    const first = await stack.cli(['--json', 'clean']);
    expect(first.exitCode, first.stderr).toBe(0);
    const r = first.json();
    const keptOf = (laneId: string) => r.kept.filter((k: any) => k.laneId === laneId).map((k: any) => [k.what, k.reason]);
    expect(keptOf('cl-dirty')).toEqual(expect.arrayContaining([['worktree', expect.stringMatching(/1 uncommitted path\(s\) \(wip\.txt\)/)]]));
    expect(keptOf('cl-ahead')).toEqual(expect.arrayContaining([['branch', expect.stringMatching(/1 commit\(s\) not on main/)]]));
    expect(keptOf('cl-landed')).toEqual([]);
    // The dirty work is still there; the clean, landed lane is gone entirely.
    expect(existsSync(join(dirty, 'wip.txt'))).toBe(true);
    expect(await repo.git('branch', '--list', 'lanes/cl-ahead')).toContain('lanes/cl-ahead');
    expect(existsSync(landed)).toBe(false);
    expect(existsSync(join(stack.home, 'lanes', 'cl-landed'))).toBe(false);
    expect(await repo.git('branch', '--list', 'lanes/cl-landed')).toBe('');
    // The main checkout was never touched.
    expect(await repo.git('status', '--porcelain')).toBe('');

    const forced = await stack.cli(['--json', 'clean', '--force']);
    expect(forced.exitCode, forced.stderr).toBe(0);
    expect(forced.json().kept).toEqual([]);
    expect(existsSync(dirty)).toBe(false);
    expect(await repo.git('branch', '--list', 'lanes/*')).toBe('');
    expect(await repo.git('worktree', 'list', '--porcelain')).not.toContain(stack.home);
  });
});
