// The merge candidate written with plumbing when it is the tested tree (git/candidate-reuse.ts):
// real repositories; each reused candidate is compared with the commit prepareCandidate makes
// in a worktree for the same lane, field by field. And what commitWork reports about the
// checkout it leaves (clean or not), which decides whether a test run may stand for the candidate.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeEach, describe, expect, it } from 'vitest';
import { createGitActivities, type GitActivities } from '../../../src/activities/git.js';
import { stripspace } from '../../../src/git/candidate-reuse.js';
import { fixtureGit as sh, gitTestbed, initFixtureRepo } from '../../support/git-env.js';

const AUTHOR = { name: 'Lane Bot', email: 'lane-bot@example.com' };
const laneId = 'lane-r';
const branch = 'lanes/lane-r';

const { tempDir } = gitTestbed('lanes-reuse-home-');

let home: string;
let repo: string;
let git: GitActivities;
let mainHead: string;
let worktreePath: string;

beforeEach(async () => {
  home = tempDir('lanes-home-');
  repo = tempDir('lanes-repo-');
  mainHead = await initFixtureRepo(repo, { 'README.md': 'hello\n', '.gitignore': 'node_modules/\n*.log\n' });
  git = createGitActivities({ home });
  ({ worktreePath } = await git.prepareWorktree({ laneId, repoPath: repo, baseBranch: 'main', branch }));
});

/** The agent's work, checkpointed as commitWork does it; returns its result. */
async function work(files: Record<string, string> = { 'feature.txt': 'feature\n' }) {
  for (const [f, content] of Object.entries(files)) {
    mkdirSync(join(worktreePath, f, '..'), { recursive: true });
    writeFileSync(join(worktreePath, f), content);
  }
  return git.commitWork({ laneId, step: 'work-1', worktreePath, message: 'lanes: work', author: AUTHOR });
}

const candidateInput = (mode: 'merge' | 'squash' | 'ff_only', testedHead?: string) => ({
  laneId,
  repoPath: repo,
  branch,
  target: 'main',
  mode,
  message: `Merge ${branch}: add the feature  \n\n\n\tbody line  \nend`,
  author: AUTHOR,
  ...(testedHead ? { reuse: { testedHead } } : {}),
});

/** A commit's object without its two timestamps: what must match between the two ways. */
async function shape(sha: string): Promise<string> {
  return (await sh(repo, 'cat-file', 'commit', sha)).replace(/^((?:author|committer) .*>) \d+ [+-]\d{4}$/gm, '$1');
}

describe('candidate reuse: the plumbing candidate is the commit prepareCandidate makes', () => {
  for (const mode of ['merge', 'squash'] as const) {
    it(`${mode}: same tree, parents, author, committer and message; no worktree, no candidate branch`, async () => {
      const commit = await work();
      expect(commit.checkout).toEqual({ head: commit.sha, clean: true });
      const reused = await git.prepareCandidate(candidateInput(mode, commit.sha!));
      expect(reused.reuse).toMatchObject({ reused: true, targetInLane: true, laneHead: commit.sha });
      expect(reused.reuse!.laneTree).toBe(await sh(repo, 'rev-parse', `${commit.sha}^{tree}`));
      // Must not: a candidate worktree or branch.
      expect(await sh(repo, 'worktree', 'list', '--porcelain')).not.toContain('.candidate');
      expect(await sh(repo, 'branch', '--list', 'lanes-candidate/*')).toBe('');

      const built = await git.prepareCandidate(candidateInput(mode));
      expect(built.reuse).toBeUndefined();
      expect(await shape(reused.candidateHead)).toBe(await shape(built.candidateHead));
      const parents = (await sh(repo, 'log', '-1', '--format=%P', reused.candidateHead)).split(' ');
      expect(parents).toEqual(mode === 'merge' ? [mainHead, commit.sha] : [mainHead]);
      expect(await sh(repo, 'log', '-1', '--format=%(trailers:key=Lane-Step,valueonly)', reused.candidateHead)).toBe('land');

      const adv = await git.advanceTarget({ laneId, repoPath: repo, target: 'main', candidateHead: reused.candidateHead, expectedTargetHead: reused.targetHead });
      expect(adv).toMatchObject({ landed: true, targetHead: reused.candidateHead });
      expect(await sh(repo, 'status', '--porcelain')).toBe('');
    });
  }

  it('ff_only: the candidate is the lane head itself', async () => {
    const commit = await work();
    const reused = await git.prepareCandidate(candidateInput('ff_only', commit.sha!));
    expect(reused).toMatchObject({ candidateHead: commit.sha, targetHead: mainHead, reuse: { reused: true } });
    expect(await sh(repo, 'branch', '--list', 'lanes-candidate/*')).toBe('');
  });

  it('a target that moved: not reused, the candidate is built in a worktree as always', async () => {
    const commit = await work();
    writeFileSync(join(repo, 'other.txt'), 'someone else\n');
    await sh(repo, 'add', 'other.txt');
    await sh(repo, 'commit', '-q', '-m', 'meanwhile on main');
    const r = await git.prepareCandidate(candidateInput('merge', commit.sha!));
    expect(r.reuse).toMatchObject({ reused: false, targetInLane: false });
    // Must not: skip the worktree; the real merge holds both sides.
    expect(await sh(r.candidatePath, 'ls-files')).toContain('other.txt');
    expect(await sh(r.candidatePath, 'ls-files')).toContain('feature.txt');
  });

  it('a lane head whose tree is not the tested one: not reused', async () => {
    const first = await work();
    const second = await git.commitWork({ laneId, step: 'work-2', worktreePath, message: 'more', author: AUTHOR });
    expect(second.sha).toBeNull();
    writeFileSync(join(worktreePath, 'later.txt'), 'after the tests\n');
    await git.commitWork({ laneId, step: 'work-3', worktreePath, message: 'more', author: AUTHOR });
    const r = await git.prepareCandidate(candidateInput('merge', first.sha!));
    expect(r.reuse).toMatchObject({ reused: false, targetInLane: true });
    expect(r.reuse!.testedTree).not.toBe(r.reuse!.laneTree);
    expect(await sh(repo, 'worktree', 'list', '--porcelain')).toContain('.candidate');
  });
});

describe('commitWork: the checkout it leaves', () => {
  it('clean after committing everything, and when there was nothing to commit', async () => {
    const c = await work({ 'a.txt': 'a\n', 'dir/b.txt': 'b\n' });
    expect(c.checkout).toEqual({ head: c.sha, clean: true });
    const again = await git.commitWork({ laneId, step: 'work-2', worktreePath, message: 'm', author: AUTHOR });
    expect(again).toMatchObject({ sha: null, checkout: { head: c.sha, clean: true } });
  });

  it('not clean with an ignored file or directory (node_modules, logs), committed work or not', async () => {
    mkdirSync(join(worktreePath, 'node_modules', 'x'), { recursive: true });
    writeFileSync(join(worktreePath, 'node_modules', 'x', 'index.js'), '');
    const c = await work();
    expect(c.sha).not.toBeNull();
    expect(c.checkout).toEqual({ head: c.sha, clean: false });
    rmSync(join(worktreePath, 'node_modules'), { recursive: true });
    writeFileSync(join(worktreePath, 'out.log'), 'x');
    expect((await git.commitWork({ laneId, step: 'work-2', worktreePath, message: 'm', author: AUTHOR })).checkout).toEqual({ head: c.sha, clean: false });
  });

  it('not clean with a nested repository, which `git add -A` records as a link, not as its files', async () => {
    const nested = join(worktreePath, 'vendor');
    mkdirSync(nested);
    await sh(nested, 'init', '-q');
    writeFileSync(join(nested, 'f.txt'), 'f');
    await sh(nested, 'add', '.');
    await sh(nested, 'commit', '-q', '-m', 'nested');
    const c = await work();
    expect(c.checkout?.clean).toBe(false);
  });

  it('mergeForward reports the merged checkout, clean when nothing else was there', async () => {
    const c = await work();
    writeFileSync(join(repo, 'base.txt'), 'base\n');
    await sh(repo, 'add', 'base.txt');
    await sh(repo, 'commit', '-q', '-m', 'base moves');
    const m = await git.mergeForward({ laneId, worktreePath, base: 'main', author: AUTHOR });
    expect(m).toMatchObject({ merged: true, checkout: { head: m.sha, clean: true } });
    expect(m.sha).not.toBe(c.sha);
  });
});

describe('stripspace', () => {
  it('matches git stripspace on trailing blanks, runs of empty lines and the final newline', async () => {
    for (const text of ['Merge x: y  \n\n\nLane-Id: a\nLane-Step: land\n', '\n\nsubject\t\n\n\n\nbody  ', 'one line']) {
      const { stdout } = await execa('git', ['stripspace'], { input: text, stripFinalNewline: false });
      expect(stripspace(text)).toBe(stdout);
    }
  });
});
