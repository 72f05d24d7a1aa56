// The fast-forward and the lane's git closeout in one activity (src/git/land-and-close.ts):
// real git repositories in temp dirs, the git activities as the worker runs them.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { createGitActivities, type GitActivities } from '../../../src/activities/git.js';
import { fixtureGit as sh, gitTestbed, initFixtureRepo } from '../../support/git-env.js';

const AUTHOR = { name: 'Lane Bot', email: 'lane-bot@example.com' };
const { tempDir } = gitTestbed('lanes-land-close-home-');
const laneId = 'lane-lc';
const branch = 'lanes/lane-lc';

let home: string;
let repo: string;
let git: GitActivities;
let mainHead: string;
let worktreePath: string;
let afterMerge: number;

beforeEach(async () => {
  home = tempDir('lanes-home-');
  repo = tempDir('lanes-repo-');
  mainHead = await initFixtureRepo(repo, { 'README.md': 'hello\n' });
  afterMerge = 0;
  git = createGitActivities({
    home,
    faults: {
      point: async (p) => {
        if (p === 'after_merge') afterMerge += 1;
      },
    },
  });
  ({ worktreePath } = await git.prepareWorktree({ laneId, repoPath: repo, baseBranch: 'main', branch }));
  writeFileSync(join(worktreePath, 'feature.txt'), 'feature\n');
  await git.commitWork({ laneId, step: 'turn-1', worktreePath, message: 'feature', author: AUTHOR });
});

const laneHead = () => sh(repo, 'rev-parse', branch);
const merges = async () => Number(await sh(repo, 'rev-list', '--count', '--merges', `${mainHead}..main`));
const branchExists = async (name: string) => (await sh(repo, 'branch', '--list', name)) !== '';

async function candidate(mode: 'merge' | 'squash' = 'merge', reuse = true) {
  const testedHead = await laneHead();
  return git.prepareCandidate({ laneId, repoPath: repo, branch, target: 'main', mode, message: `Land ${laneId}`, author: AUTHOR, ...(reuse ? { reuse: { testedHead } } : {}) });
}

const advance = (c: { candidateHead: string; targetHead: string }, closeWorktree = worktreePath) =>
  git.advanceTarget({ laneId, repoPath: repo, target: 'main', candidateHead: c.candidateHead, expectedTargetHead: c.targetHead, closeout: { worktreePath: closeWorktree, branch } });

describe('advanceTarget with closeout', () => {
  it('a reused candidate lands once and the lane is closed out in the same call; a retry says the same and lands nothing more', async () => {
    const c = await candidate();
    expect(c.reuse?.reused).toBe(true);
    const r = await advance(c);
    expect(r).toMatchObject({ landed: true, targetHead: c.candidateHead, closeout: { worktreeRemoved: true, branchDeleted: true } });
    expect(r.closeoutError).toBeUndefined();
    expect(await sh(repo, 'rev-parse', 'main')).toBe(c.candidateHead);
    expect(readFileSync(join(repo, 'feature.txt'), 'utf8')).toBe('feature\n');
    expect(existsSync(worktreePath)).toBe(false);
    expect(await branchExists(branch)).toBe(false);
    // The kill point still fires after the target moved (once per landed call).
    expect(afterMerge).toBe(1);

    // A retry (the worker died after the move): landed again, gone stays gone, no second merge.
    const again = await advance(c);
    expect(again).toMatchObject({ landed: true, targetHead: c.candidateHead, closeout: { worktreeRemoved: true, branchDeleted: true } });
    expect(await merges()).toBe(1);
  });

  it('a built (tested) candidate: its worktree and branch go with the lane in one call', async () => {
    const c = await candidate('merge', false);
    expect(existsSync(c.candidatePath)).toBe(true);
    expect(await advance(c)).toMatchObject({ landed: true, closeout: { worktreeRemoved: true, branchDeleted: true } });
    expect(existsSync(c.candidatePath)).toBe(false);
    expect(await branchExists(c.candidateBranch)).toBe(false);
    expect(await merges()).toBe(1);
  });

  it('a target that moved: nothing lands and nothing is closed out', async () => {
    const c = await candidate();
    writeFileSync(join(repo, 'other.txt'), 'someone else\n');
    await sh(repo, 'add', 'other.txt');
    await sh(repo, 'commit', '-q', '-m', 'someone else landed');
    const moved = await sh(repo, 'rev-parse', 'main');
    const r = await advance(c);
    // Must NOT: land over the moved target, or remove the lane's worktree and branch it still needs to rebuild.
    expect(r).toEqual({ landed: false, targetHead: moved, reason: 'target_moved' });
    expect(afterMerge).toBe(0);
    expect(await sh(repo, 'rev-parse', 'main')).toBe(moved);
    expect(existsSync(join(worktreePath, 'feature.txt'))).toBe(true);
    expect(await branchExists(branch)).toBe(true);
  });

  it("a dirty target checkout: nothing lands, the user's edit and the lane are left as they are", async () => {
    const c = await candidate();
    writeFileSync(join(repo, 'README.md'), 'human edit in progress\n');
    const r = await advance(c);
    expect(r).toMatchObject({ landed: false, targetHead: mainHead, reason: 'target_dirty', dirtyPaths: ['README.md'] });
    expect(r.closeout).toBeUndefined();
    expect(await sh(repo, 'rev-parse', 'main')).toBe(mainHead);
    expect(readFileSync(join(repo, 'README.md'), 'utf8')).toBe('human edit in progress\n');
    expect(existsSync(join(worktreePath, 'feature.txt'))).toBe(true);
    expect(await branchExists(branch)).toBe(true);
  });

  it('a worktree with uncommitted work at landing: landed, but the worktree and the branch are kept, as closeout keeps them', async () => {
    const c = await candidate();
    writeFileSync(join(worktreePath, 'wip.txt'), 'unsaved\n');
    const r = await advance(c);
    expect(r).toMatchObject({ landed: true, closeout: { worktreeRemoved: false, branchDeleted: false } });
    expect(r.closeout?.keptReason).toMatch(/uncommitted/);
    expect(readFileSync(join(worktreePath, 'wip.txt'), 'utf8')).toBe('unsaved\n');
    expect(await branchExists(branch)).toBe(true);
  });

  it('a squash landing keeps the lane branch and says why, as closeout does', async () => {
    const c = await candidate('squash', false);
    const r = await advance(c);
    expect(r).toMatchObject({ landed: true, closeout: { worktreeRemoved: true, branchDeleted: false } });
    expect(r.closeout?.keptReason).toMatch(/squash-landed/);
    expect(await branchExists(branch)).toBe(true);
  });

  it('a closeout that fails after the move is reported, never as a failed landing', async () => {
    const c = await candidate();
    // Not this lane's worktree path: closeout refuses it (workspace_mismatch); the target has moved all the same.
    const r = await advance(c, join(home, 'elsewhere'));
    expect(r).toMatchObject({ landed: true, targetHead: c.candidateHead });
    expect(r.closeout).toBeUndefined();
    expect(r.closeoutError).toMatch(/elsewhere|worktree/);
    // Must NOT: anything of the lane removed by a refused closeout.
    expect(existsSync(join(worktreePath, 'feature.txt'))).toBe(true);
    expect(await branchExists(branch)).toBe(true);
  });
});
