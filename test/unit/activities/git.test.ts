// Real git repositories in temp dirs; HOME points at an empty folder so nothing here can
// lean on a global git identity or config.
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeEach, describe, expect, it } from 'vitest';
import { createGitActivities, type GitActivities } from '../../../src/activities/git.js';
import { assertLanePath } from '../../../src/git/worktrees.js';
import { FIXTURE_ENV, fixtureGit as sh, gitTestbed, initFixtureRepo } from '../../support/git-env.js';

const AUTHOR = { name: 'Lane Bot', email: 'lane-bot@example.com' };
const { tempDir } = gitTestbed('lanes-git-home-');

async function commitFile(dir: string, file: string, content: string, message = `edit ${file}`): Promise<string> {
  writeFileSync(join(dir, file), content);
  await sh(dir, 'add', file);
  await sh(dir, 'commit', '-q', '-m', message);
  return sh(dir, 'rev-parse', 'HEAD');
}

async function count(dir: string, ...args: string[]): Promise<number> {
  return Number(await sh(dir, 'rev-list', '--count', ...args));
}

let home: string;
let repo: string;
let git: GitActivities;
let mainHead: string;
const laneId = 'lane-a';
const branch = 'lanes/lane-a';

async function lane(id = laneId, laneBranch = branch) {
  return git.prepareWorktree({ laneId: id, repoPath: repo, baseBranch: 'main', branch: laneBranch });
}

beforeEach(async () => {
  home = tempDir('lanes-home-');
  repo = tempDir('lanes-repo-');
  mainHead = await initFixtureRepo(repo, { 'README.md': 'hello\n', 'shared.txt': 'line 1\n' });
  git = createGitActivities({ home });
});

describe('git activities: prepareWorktree', () => {
  it('creates the lane worktree once and finds the same one when called again', async () => {
    const first = await lane();
    expect(first).toMatchObject({ branch, baseCommit: mainHead, created: true });
    expect(first.worktreePath).toBe(join(home, 'worktrees', laneId));
    const second = await lane();
    expect(second).toEqual({ ...first, created: false });
    const listed = (await sh(repo, 'worktree', 'list', '--porcelain')).split('\n').filter((l) => l.startsWith('worktree '));
    expect(listed).toHaveLength(2); // the main checkout and exactly one lane worktree, not two
    expect(await sh(first.worktreePath, 'symbolic-ref', '--short', 'HEAD')).toBe(branch);
  });

  it('recreates a deleted worktree from the existing lane branch so checkpoint commits survive', async () => {
    const { worktreePath } = await lane();
    writeFileSync(join(worktreePath, 'work.txt'), 'checkpointed\n');
    const { sha } = await git.commitWork({ laneId, step: 'turn-1', worktreePath, message: 'checkpoint', author: AUTHOR });
    rmSync(worktreePath, { recursive: true, force: true }); // host lost the folder
    const again = await lane();
    expect(again.created).toBe(true);
    expect(await sh(worktreePath, 'rev-parse', 'HEAD')).toBe(sha);
    expect(readFileSync(join(worktreePath, 'work.txt'), 'utf8')).toBe('checkpointed\n');
    expect(again.baseCommit).toBe(mainHead);
  });

  it('redoes a worktree whose `git worktree add` was interrupted instead of reusing a partial checkout', async () => {
    const { worktreePath } = await lane();
    const name = (await sh(worktreePath, 'rev-parse', '--git-dir')).split('/').at(-1) ?? '';
    writeFileSync(join(repo, '.git', 'worktrees', name, 'locked'), 'initializing');
    rmSync(join(worktreePath, 'README.md')); // the checkout never finished
    const again = await lane();
    expect(again.created).toBe(true);
    expect(existsSync(join(worktreePath, 'README.md'))).toBe(true);
    expect(await sh(worktreePath, 'status', '--porcelain')).toBe('');
  });

  it('refuses a foreign folder at the lane path and leaves it untouched', async () => {
    const path = join(home, 'worktrees', laneId);
    mkdirSync(path, { recursive: true });
    writeFileSync(join(path, 'precious.txt'), 'not yours');
    await expect(lane()).rejects.toMatchObject({ type: 'workspace_mismatch' });
    expect(readFileSync(join(path, 'precious.txt'), 'utf8')).toBe('not yours');
    expect(await sh(repo, 'branch', '--list', branch)).toBe(''); // no branch made for it either
  });

  it('refuses a lane worktree that is on another branch', async () => {
    await lane();
    await expect(git.prepareWorktree({ laneId, repoPath: repo, baseBranch: 'main', branch: 'lanes/other' })).rejects.toMatchObject({
      type: 'workspace_mismatch',
    });
    expect(await sh(repo, 'branch', '--list', 'lanes/other')).toBe('');
  });

  it('refuses a worktree of another repository at the lane path', async () => {
    const other = tempDir('lanes-other-');
    await sh(other, 'init', '-q', '-b', 'main');
    await commitFile(other, 'x.txt', 'x');
    await sh(other, 'worktree', 'add', '-q', '-b', branch, join(home, 'worktrees', laneId));
    await expect(lane()).rejects.toMatchObject({ type: 'workspace_mismatch' });
  });

  it('fails as validator with a hint when the base branch is missing', async () => {
    const err = await git.prepareWorktree({ laneId, repoPath: repo, baseBranch: 'nope', branch }).catch((e: unknown) => e);
    expect(err).toMatchObject({ type: 'validator', nonRetryable: true });
    expect((err as { details: [{ hint: string }] }).details[0].hint).toMatch(/baseBranch/);
    expect(existsSync(join(home, 'worktrees', laneId))).toBe(false);
  });

  it('reports problems in the same order with its reads side by side: repository, then branch name, then base', async () => {
    const notRepo = tempDir('lanes-plain-');
    const first = await git.prepareWorktree({ laneId, repoPath: notRepo, baseBranch: 'nope', branch: 'bad..name' }).catch((e: unknown) => e);
    expect(first).toMatchObject({ type: 'validator', message: expect.stringContaining('is not a git repository') });
    const second = await git.prepareWorktree({ laneId, repoPath: repo, baseBranch: 'nope', branch: 'bad..name' }).catch((e: unknown) => e);
    expect(second).toMatchObject({ type: 'validator', message: expect.stringContaining('"bad..name" is not a valid git branch name') });
    // Must NOT: a worktree, a branch or a marker for a refused lane.
    expect(existsSync(join(home, 'worktrees', laneId))).toBe(false);
    // Ref names only: a commit id may hold the letters "bad" (hex).
    expect(await sh(repo, 'for-each-ref', '--format=%(refname)', 'refs/heads/')).not.toContain('refs/heads/bad');
    expect(await sh(repo, 'config', '--local', '--list')).not.toContain('lanesLaneId');
  });

  it('resolves a base that is also a tag name as git does, not by the branch alone', async () => {
    const branchHeadSha = await commitFile(repo, 'more.txt', 'more');
    await sh(repo, 'tag', 'main', mainHead); // ambiguous: git prefers refs/tags/main
    const wt = await lane();
    expect(await sh(repo, 'rev-parse', 'main')).toBe(mainHead);
    expect(wt.baseCommit).toBe(mainHead);
    expect(wt.baseCommit).not.toBe(branchHeadSha);
  });

  it("refuses an existing branch that is not the lane's own and leaves it untouched (branch safety)", async () => {
    await sh(repo, 'switch', '-q', '-c', 'wip');
    const wip = await commitFile(repo, 'wip.txt', 'unreviewed');
    await sh(repo, 'switch', '-q', 'main');
    const err = await lane(laneId, 'wip').catch((e: unknown) => e);
    expect(err).toMatchObject({ type: 'validator', nonRetryable: true, message: expect.stringContaining("branch wip already exists and is not this lane's") });
    expect((err as { details: [{ hint: string }] }).details[0].hint).toMatch(/set branch\.name/);
    // Must NOT: a worktree on it, a moved branch.
    expect(existsSync(join(home, 'worktrees', laneId))).toBe(false);
    expect(await sh(repo, 'rev-parse', 'wip')).toBe(wip);
  });

  it("resumes the lane's own branch from an earlier run, recognised by its Lane-Id trailers", async () => {
    await sh(repo, 'switch', '-q', '-c', branch);
    writeFileSync(join(repo, 'done.txt'), 'earlier run');
    await sh(repo, 'add', 'done.txt');
    await sh(repo, 'commit', '-q', '-m', `work\n\nLane-Id: ${laneId}\nLane-Step: work-1`);
    const tip = await sh(repo, 'rev-parse', 'HEAD');
    await sh(repo, 'switch', '-q', 'main');
    const wt = await lane();
    expect(await sh(wt.worktreePath, 'rev-parse', 'HEAD')).toBe(tip);
    // Adopted as its own: marked, so closeout may delete it once landed.
    expect(await sh(repo, 'config', `branch.${branch}.lanesLaneId`)).toBe(laneId);
    // Another lane id sees the same branch as foreign.
    await expect(lane('lane-z', branch)).rejects.toMatchObject({ type: 'validator', message: expect.stringContaining('created by lane lane-a') });
  });

  it('runs the repository preflight on the host: every problem with its field and hint', async () => {
    await expect(git.preflightLane({ laneId, repoPath: repo, baseBranch: 'main', target: 'main', branch })).resolves.toEqual({ ok: true, facts: { baseHead: mainHead, branchTip: null } });
    const err = await git.preflightLane({ laneId, repoPath: repo, baseBranch: 'develop', target: 'release', branch }).catch((e: unknown) => e);
    expect(err).toMatchObject({ type: 'validator', nonRetryable: true });
    expect((err as Error).message).toMatch(/repo\.baseBranch: base branch "develop" does not exist.*merge\.target: merge target "release" is not a local branch/);
    const missing = await git.preflightLane({ laneId, repoPath: join(repo, 'nope'), baseBranch: 'main', target: 'main', branch }).catch((e: unknown) => e);
    expect((missing as Error).message).toMatch(/repo\.path: repo\.path .* does not exist/);
    expect((missing as { details: [{ hint: string }] }).details[0].hint).toMatch(/set repo\.path/);
  });

  it('rejects lane ids that could escape the worktrees folder or collide with a candidate', async () => {
    for (const bad of ['../evil', 'a/b', 'x.candidate', '']) {
      await expect(lane(bad, 'lanes/bad')).rejects.toMatchObject({ type: 'validator' });
    }
  });
});

describe('git activities: workspace guard', () => {
  it('assertLanePath accepts only the lane own worktree, after resolving symlinks and ..', async () => {
    const a = await lane();
    const b = await lane('lane-b', 'lanes/lane-b');
    expect(assertLanePath(home, laneId, a.worktreePath)).toBe(a.worktreePath);
    expect(assertLanePath(home, laneId, join(home, 'worktrees', 'lane-b', '..', laneId))).toBe(a.worktreePath);
    expect(() => assertLanePath(home, laneId, b.worktreePath)).toThrow(expect.objectContaining({ type: 'workspace_mismatch' }));
    expect(() => assertLanePath(home, laneId, repo)).toThrow(expect.objectContaining({ type: 'workspace_mismatch' }));
    // The landing candidate only where the caller allows it; mustExist refuses a missing tree.
    const candidate = join(home, 'worktrees', `${laneId}.candidate`);
    expect(() => assertLanePath(home, laneId, candidate)).toThrow(expect.objectContaining({ type: 'workspace_mismatch' }));
    expect(assertLanePath(home, laneId, candidate, { allowCandidate: true })).toBe(candidate);
    expect(() => assertLanePath(home, laneId, candidate, { allowCandidate: true, mustExist: true })).toThrow(/\(missing\)/);
    // a lane path that is a symlink to another lane's worktree is not that lane's worktree
    const link = join(home, 'worktrees', 'lane-c');
    symlinkSync(b.worktreePath, link);
    expect(() => assertLanePath(home, 'lane-c', link)).toThrow(expect.objectContaining({ type: 'workspace_mismatch' }));
    writeFileSync(join(b.worktreePath, 'b.txt'), 'b\n');
    await expect(git.commitWork({ laneId: 'lane-c', step: 's', worktreePath: link, message: 'x', author: AUTHOR })).rejects.toMatchObject({
      type: 'workspace_mismatch',
    });
    expect(await count(repo, 'main..lanes/lane-b')).toBe(0);
  });

  it('assertWorkspace reports a missing worktree as workspace_mismatch so the lane recreates it', async () => {
    const { worktreePath } = await lane();
    expect(await git.assertWorkspace({ laneId, worktreePath })).toMatchObject({ branch, dirty: false, head: mainHead });
    rmSync(worktreePath, { recursive: true, force: true });
    const err = await git.assertWorkspace({ laneId, worktreePath }).catch((e: unknown) => e);
    expect(err).toMatchObject({ type: 'workspace_mismatch', details: [expect.objectContaining({ reason: 'missing' })] });
  });

  it('assertWorkspace refuses a plain clone standing where the lane worktree should be', async () => {
    const path = join(home, 'worktrees', laneId);
    await execa('git', ['clone', '-q', repo, path], { env: FIXTURE_ENV });
    await expect(git.assertWorkspace({ laneId, worktreePath: path })).rejects.toMatchObject({ type: 'workspace_mismatch' });
  });
});

describe('git activities: commitWork', () => {
  it('commits once with lane trailers; a retry returns the same commit and commits nothing new', async () => {
    const { worktreePath } = await lane();
    writeFileSync(join(worktreePath, 'a.txt'), 'a\n');
    writeFileSync(join(worktreePath, 'README.md'), 'changed\n');
    const input = { laneId, step: 'turn-1', worktreePath, message: 'Add a', author: AUTHOR };
    const first = await git.commitWork(input);
    expect(first.created).toBe(true);
    writeFileSync(join(worktreePath, 'later.txt'), 'made after the commit\n');
    const retry = await git.commitWork(input);
    // The file made after the commit is still there: not a clean checkout of the commit.
    expect(retry).toEqual({ sha: first.sha, created: false, checkout: { head: first.sha, clean: false } });
    expect(await count(repo, `main..${branch}`)).toBe(1);
    expect(await sh(worktreePath, 'log', '-1', '--format=%(trailers:key=Lane-Id,valueonly)%(trailers:key=Lane-Step,valueonly)')).toBe('lane-a\nturn-1');
    // the retry must not have swept later work into the step's commit
    expect(await sh(worktreePath, 'status', '--porcelain')).toContain('later.txt');
    expect(await git.laneCommits({ repoPath: repo, branch, base: 'main' })).toEqual([
      { sha: first.sha, subject: 'Add a', laneId, step: 'turn-1' },
    ]);
  });

  it('keys commits by the trailers Lanes appends, not by trailer-like text in the message', async () => {
    const { worktreePath } = await lane();
    writeFileSync(join(worktreePath, 'a.txt'), 'a\n');
    const spoof = 'Looks like a step\n\nLane-Id: lane-z\nLane-Step: turn-2\n';
    const first = await git.commitWork({ laneId, step: 'turn-1', worktreePath, message: spoof, author: AUTHOR });
    writeFileSync(join(worktreePath, 'b.txt'), 'b\n');
    const second = await git.commitWork({ laneId, step: 'turn-2', worktreePath, message: 'real turn 2', author: AUTHOR });
    expect(second.created).toBe(true);
    expect(second.sha).not.toBe(first.sha);
    expect((await git.laneCommits({ repoPath: repo, branch, base: 'main' })).map((c) => [c.laneId, c.step])).toEqual([
      [laneId, 'turn-1'],
      [laneId, 'turn-2'],
    ]);
  });

  it('returns sha null and makes no commit when there is nothing to commit', async () => {
    const { worktreePath } = await lane();
    expect(await git.commitWork({ laneId, step: 'turn-1', worktreePath, message: 'noop', author: AUTHOR })).toEqual({ sha: null, created: false, checkout: { head: mainHead, clean: true } });
    expect(await count(repo, `main..${branch}`)).toBe(0);
  });

  it('commits with the packet author on a host with no git identity configured', async () => {
    const { worktreePath } = await lane();
    await expect(execa('git', ['config', 'user.email'], { cwd: worktreePath })).rejects.toThrow(); // proves HOME has none
    writeFileSync(join(worktreePath, 'b.txt'), 'b\n');
    const { sha } = await git.commitWork({ laneId, step: 's', worktreePath, message: 'b', author: AUTHOR });
    expect(await sh(worktreePath, 'log', '-1', '--format=%an <%ae> / %cn <%ce>', sha ?? '')).toBe(
      'Lane Bot <lane-bot@example.com> / Lane Bot <lane-bot@example.com>',
    );
  });

  it('refuses to commit in another lane worktree', async () => {
    await lane();
    const b = await lane('lane-b', 'lanes/lane-b');
    writeFileSync(join(b.worktreePath, 'b.txt'), 'b\n');
    await expect(git.commitWork({ laneId, step: 's', worktreePath: b.worktreePath, message: 'x', author: AUTHOR })).rejects.toMatchObject({
      type: 'workspace_mismatch',
    });
    expect(await count(repo, 'main..lanes/lane-b')).toBe(0);
  });

  it('removes a stale index.lock left by a crashed git and commits, but never a fresh one', async () => {
    const { worktreePath } = await lane();
    const lock = `${await sh(worktreePath, 'rev-parse', '--path-format=absolute', '--git-dir')}/index.lock`;
    writeFileSync(join(worktreePath, 'c.txt'), 'c\n');

    writeFileSync(lock, '');
    await expect(git.commitWork({ laneId, step: 'fresh', worktreePath, message: 'c', author: AUTHOR })).rejects.toMatchObject({ type: 'infra' });
    expect(existsSync(lock)).toBe(true); // a live-looking lock is never deleted
    expect(await count(repo, `main..${branch}`)).toBe(0);

    const old = new Date(Date.now() - 60_000);
    utimesSync(lock, old, old);
    expect(await git.commitWork({ laneId, step: 'stale', worktreePath, message: 'c', author: AUTHOR })).toMatchObject({ created: true });
    expect(existsSync(lock)).toBe(false);
  });
});

describe('git activities: branchStatus and mergeForward', () => {
  it('counts commits ahead and behind the base', async () => {
    const { worktreePath } = await lane();
    await commitFile(worktreePath, 'l1.txt', '1');
    await commitFile(worktreePath, 'l2.txt', '2');
    const baseHead = await commitFile(repo, 'm1.txt', 'm');
    const status = await git.branchStatus({ laneId, worktreePath, base: 'main' });
    expect(status).toEqual({ ahead: 2, behind: 1, laneHead: await sh(worktreePath, 'rev-parse', 'HEAD'), baseHead });
  });

  it('fails closed as infra when freshness cannot be determined', async () => {
    const { worktreePath } = await lane();
    const err = await git.branchStatus({ laneId, worktreePath, base: 'no-such-base' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ type: 'infra', nonRetryable: false });
  });

  it('merges the base forward once, with trailers; a retry returns the same merge', async () => {
    const { worktreePath } = await lane();
    await commitFile(worktreePath, 'lane.txt', 'lane');
    const baseHead = await commitFile(repo, 'base.txt', 'base');
    const input = { laneId, worktreePath, base: 'main', author: AUTHOR };
    const merged = await git.mergeForward(input);
    expect(merged).toMatchObject({ merged: true, conflict: false });
    expect(await sh(worktreePath, 'rev-list', '--parents', '-n1', 'HEAD')).toBe(`${merged.sha} ${(await sh(worktreePath, 'rev-parse', 'HEAD^1'))} ${baseHead}`);
    expect(await sh(worktreePath, 'log', '-1', '--format=%(trailers:key=Lane-Step,valueonly)')).toBe(`merge-forward-${baseHead.slice(0, 12)}`);
    expect(await git.mergeForward(input)).toEqual({ merged: true, sha: merged.sha, conflict: false, checkout: { head: merged.sha, clean: true } });
    expect(await count(worktreePath, '--merges', 'main..HEAD')).toBe(1);
    expect((await git.branchStatus({ laneId, worktreePath, base: 'main' })).behind).toBe(0);
  });

  it('reports an up-to-date lane as merged:false without a merge commit', async () => {
    const { worktreePath } = await lane();
    await commitFile(worktreePath, 'lane.txt', 'lane');
    expect(await git.mergeForward({ laneId, worktreePath, base: 'main', author: AUTHOR })).toEqual({ merged: false, conflict: false });
    expect(await count(worktreePath, '--merges', 'HEAD')).toBe(0);
  });

  it('aborts a conflicting merge-forward: conflict reported, worktree clean, no merge commit', async () => {
    const { worktreePath } = await lane();
    const laneHead = await commitFile(worktreePath, 'shared.txt', 'lane version\n');
    await commitFile(repo, 'shared.txt', 'main version\n');
    const result = await git.mergeForward({ laneId, worktreePath, base: 'main', author: AUTHOR });
    expect(result).toEqual({ merged: false, conflict: true, conflictFiles: ['shared.txt'] });
    expect(await sh(worktreePath, 'status', '--porcelain')).toBe('');
    expect(await sh(worktreePath, 'rev-parse', 'HEAD')).toBe(laneHead);
    expect(existsSync(join(await sh(worktreePath, 'rev-parse', '--path-format=absolute', '--git-dir'), 'MERGE_HEAD'))).toBe(false);
    expect(readFileSync(join(worktreePath, 'shared.txt'), 'utf8')).toBe('lane version\n');
  });

  it('refuses to merge forward into a worktree with uncommitted changes', async () => {
    const { worktreePath } = await lane();
    await commitFile(repo, 'base.txt', 'base');
    writeFileSync(join(worktreePath, 'wip.txt'), 'wip');
    await expect(git.mergeForward({ laneId, worktreePath, base: 'main', author: AUTHOR })).rejects.toMatchObject({ type: 'workspace_mismatch' });
    expect(await count(worktreePath, '--merges', 'HEAD')).toBe(0);
    expect(readFileSync(join(worktreePath, 'wip.txt'), 'utf8')).toBe('wip');
  });
});

describe('git activities: landing', () => {
  async function laneWithWork(): Promise<string> {
    const { worktreePath } = await lane();
    await commitFile(worktreePath, 'feature.txt', 'feature\n', 'feature part 1');
    await commitFile(worktreePath, 'feature2.txt', 'more\n', 'feature part 2');
    return worktreePath;
  }
  const land = (mode: 'merge' | 'squash' | 'ff_only') =>
    git.prepareCandidate({ laneId, repoPath: repo, branch, target: 'main', mode, message: `Land ${laneId}`, author: AUTHOR });

  it('merge mode: tests run on the candidate, then the target fast-forwards to exactly one merge commit', async () => {
    await laneWithWork();
    const cand = await land('merge');
    expect(cand).toMatchObject({ alreadyLanded: false, conflict: false, targetHead: mainHead, candidateBranch: `lanes-candidate/${laneId}` });
    expect(cand.candidatePath).toBe(join(home, 'worktrees', `${laneId}.candidate`));
    expect(readFileSync(join(cand.candidatePath, 'feature.txt'), 'utf8')).toBe('feature\n');
    expect(await sh(repo, 'rev-parse', 'main')).toBe(mainHead); // nothing real until advanceTarget

    const advanced = await git.advanceTarget({ laneId, repoPath: repo, target: 'main', candidateHead: cand.candidateHead, expectedTargetHead: cand.targetHead });
    expect(advanced).toMatchObject({ landed: true, targetHead: cand.candidateHead });
    // advanceTarget returns the lane's landed commits itself (the workflow no longer asks again)
    expect(advanced.landedCommits?.map((c) => c.subject)).toEqual(['feature part 1', 'feature part 2', `Land ${laneId}`]);
    expect(await count(repo, '--merges', `${mainHead}..main`)).toBe(1);
    expect(await count(repo, '--first-parent', `${mainHead}..main`)).toBe(1);
    expect(await sh(repo, 'log', '-1', '--format=%(trailers:key=Lane-Step,valueonly)', 'main')).toBe('land');
    expect(readFileSync(join(repo, 'feature.txt'), 'utf8')).toBe('feature\n'); // checked-out main got the files
    expect(await sh(repo, 'status', '--porcelain')).toBe('');
    expect(await git.isLanded({ laneId, repoPath: repo, target: 'main' })).toMatchObject({ landed: true, via: 'land_commit' });

    // retried landing: no second merge
    expect(await land('merge')).toMatchObject({ alreadyLanded: true });
    expect(await git.advanceTarget({ laneId, repoPath: repo, target: 'main', candidateHead: cand.candidateHead, expectedTargetHead: mainHead })).toMatchObject({ landed: true });
    expect(await count(repo, '--merges', `${mainHead}..main`)).toBe(1);

    await git.removeCandidate({ laneId, repoPath: repo });
    expect(existsSync(cand.candidatePath)).toBe(false);
    expect(existsSync(join(home, 'worktrees', laneId, 'feature.txt'))).toBe(true); // the lane worktree stays
    expect(await sh(repo, 'branch', '--list', cand.candidateBranch)).toBe('');
    expect(await git.removeCandidate({ laneId, repoPath: repo })).toEqual({ removed: false });
  });

  it('squash mode: one commit with trailers on a linear target; the lane commits themselves do not land', async () => {
    await laneWithWork();
    const laneHead = await sh(repo, 'rev-parse', branch);
    const cand = await land('squash');
    const advanced = await git.advanceTarget({ laneId, repoPath: repo, target: 'main', candidateHead: cand.candidateHead, expectedTargetHead: cand.targetHead });
    expect(advanced.landed).toBe(true);
    expect(await count(repo, `${mainHead}..main`)).toBe(1);
    expect(await sh(repo, 'rev-parse', 'main^')).toBe(mainHead);
    expect(await sh(repo, 'log', '-1', '--format=%s%n%(trailers:key=Lane-Id,valueonly)%(trailers:key=Lane-Step,valueonly)', 'main')).toBe(`Land ${laneId}\nlane-a\nland`);
    await expect(execa('git', ['merge-base', '--is-ancestor', laneHead, 'main'], { cwd: repo })).rejects.toThrow();
    expect(await land('squash')).toMatchObject({ alreadyLanded: true });
    expect(await count(repo, `${mainHead}..main`)).toBe(1);
  });

  it('ff_only mode: the target becomes the lane head; a diverged lane is refused as branch_divergence', async () => {
    await laneWithWork();
    const laneHead = await sh(repo, 'rev-parse', branch);
    const cand = await land('ff_only');
    expect(cand.candidateHead).toBe(laneHead);
    await git.advanceTarget({ laneId, repoPath: repo, target: 'main', candidateHead: cand.candidateHead, expectedTargetHead: cand.targetHead });
    expect(await sh(repo, 'rev-parse', 'main')).toBe(laneHead);
    expect(await count(repo, '--merges', 'main')).toBe(0);
    expect(await land('ff_only')).toMatchObject({ alreadyLanded: true });

    const b = await lane('lane-b', 'lanes/lane-b');
    await commitFile(b.worktreePath, 'b.txt', 'b');
    await commitFile(repo, 'moved.txt', 'main moved');
    const before = await sh(repo, 'rev-parse', 'main');
    await expect(
      git.prepareCandidate({ laneId: 'lane-b', repoPath: repo, branch: 'lanes/lane-b', target: 'main', mode: 'ff_only', message: '', author: AUTHOR }),
    ).rejects.toMatchObject({ type: 'branch_divergence' });
    expect(await sh(repo, 'rev-parse', 'main')).toBe(before);
  });

  it('does not move a target that moved after the candidate was made', async () => {
    await laneWithWork();
    const cand = await land('merge');
    const moved = await commitFile(repo, 'other.txt', 'someone else landed');
    const result = await git.advanceTarget({ laneId, repoPath: repo, target: 'main', candidateHead: cand.candidateHead, expectedTargetHead: cand.targetHead });
    expect(result).toEqual({ landed: false, targetHead: moved, reason: 'target_moved' });
    expect(await sh(repo, 'rev-parse', 'main')).toBe(moved);
    expect(existsSync(join(repo, 'feature.txt'))).toBe(false);
  });

  it('does not move a checked-out target whose worktree has uncommitted edits', async () => {
    await laneWithWork();
    const cand = await land('merge');
    writeFileSync(join(repo, 'README.md'), 'human edit in progress\n');
    const result = await git.advanceTarget({ laneId, repoPath: repo, target: 'main', candidateHead: cand.candidateHead, expectedTargetHead: cand.targetHead });
    expect(result).toMatchObject({ landed: false, targetHead: mainHead, reason: 'target_dirty', dirtyPaths: ['README.md'] });
    expect(await sh(repo, 'rev-parse', 'main')).toBe(mainHead);
    expect(readFileSync(join(repo, 'README.md'), 'utf8')).toBe('human edit in progress\n');
  });

  it('moves a target that is not checked out by compare-and-swap, leaving the main worktree alone', async () => {
    await laneWithWork();
    await sh(repo, 'switch', '-q', '-c', 'elsewhere');
    writeFileSync(join(repo, 'README.md'), 'dirty on another branch\n');
    const cand = await land('merge');
    const result = await git.advanceTarget({ laneId, repoPath: repo, target: 'main', candidateHead: cand.candidateHead, expectedTargetHead: cand.targetHead });
    expect(result).toMatchObject({ landed: true, targetHead: cand.candidateHead });
    expect(result.landedCommits?.map((c) => c.subject)).toEqual(['feature part 1', 'feature part 2', `Land ${laneId}`]);
    expect(await sh(repo, 'rev-parse', 'main')).toBe(cand.candidateHead);
    expect(await sh(repo, 'symbolic-ref', '--short', 'HEAD')).toBe('elsewhere');
    expect(existsSync(join(repo, 'feature.txt'))).toBe(false);
  });

  it('fast-forwards the target in the linked worktree that has it checked out, never over its edits', async () => {
    await laneWithWork();
    await sh(repo, 'switch', '-q', '-c', 'elsewhere');
    const checkout = join(tempDir('lanes-target-wt-'), 'main-wt');
    await sh(repo, 'worktree', 'add', '-q', checkout, 'main');
    const cand = await land('merge');
    writeFileSync(join(checkout, 'README.md'), 'edit in the linked checkout\n');
    const refused = await git.advanceTarget({ laneId, repoPath: repo, target: 'main', candidateHead: cand.candidateHead, expectedTargetHead: cand.targetHead });
    expect(refused).toMatchObject({ landed: false, reason: 'target_dirty', checkoutPath: checkout, dirtyPaths: ['README.md'] });
    // Must NOT: a moved target, a lost edit.
    expect(await sh(repo, 'rev-parse', 'main')).toBe(mainHead);
    expect(readFileSync(join(checkout, 'README.md'), 'utf8')).toBe('edit in the linked checkout\n');
    await sh(checkout, 'checkout', '--', 'README.md');
    const landed = await git.advanceTarget({ laneId, repoPath: repo, target: 'main', candidateHead: cand.candidateHead, expectedTargetHead: cand.targetHead });
    expect(landed).toMatchObject({ landed: true, targetHead: cand.candidateHead });
    expect(readFileSync(join(checkout, 'feature.txt'), 'utf8')).toBe('feature\n'); // its files moved with it
    expect(existsSync(join(repo, 'feature.txt'))).toBe(false);
  });

  it('moves the HEAD branch of a bare repository by compare-and-swap', async () => {
    await laneWithWork();
    const cand = await land('merge');
    const bare = join(tempDir('lanes-bare-'), 'repo.git');
    await sh(repo, 'clone', '-q', '--bare', repo, bare);
    const result = await git.advanceTarget({ laneId, repoPath: bare, target: 'main', candidateHead: cand.candidateHead, expectedTargetHead: cand.targetHead });
    expect(result).toMatchObject({ landed: true, targetHead: cand.candidateHead });
    expect(await sh(bare, 'rev-parse', 'main')).toBe(cand.candidateHead);
    expect(await sh(repo, 'rev-parse', 'main')).toBe(mainHead); // the other repository is not touched
  });

  it('refuses a target name git would refuse as validator (not a retried infra error), and a missing target', async () => {
    await laneWithWork();
    const cand = await land('merge');
    const advance = (target: string) => git.advanceTarget({ laneId, repoPath: repo, target, candidateHead: cand.candidateHead, expectedTargetHead: cand.targetHead });
    await expect(advance('bad..name')).rejects.toMatchObject({ type: 'validator', message: expect.stringContaining('is not a valid git branch name') });
    await expect(advance('release')).rejects.toMatchObject({ type: 'validator', message: expect.stringContaining('target branch "release" does not exist') });
    expect(await sh(repo, 'rev-parse', 'main')).toBe(mainHead);
  });

  // Must not happen: a conflict leaving a checkout, a candidate branch, a merge in progress or a moved target behind.
  async function expectNothingLeft(candidatePath: string, moved: string): Promise<void> {
    expect(existsSync(candidatePath)).toBe(false);
    expect(await sh(repo, 'branch', '--list', `lanes-candidate/${laneId}`)).toBe('');
    expect((await sh(repo, 'worktree', 'list', '--porcelain')).split('\n').filter((l) => l.startsWith('worktree ')).length).toBe(2); // repo + lane
    expect(existsSync(join(repo, '.git', 'MERGE_HEAD'))).toBe(false);
    expect(await sh(repo, 'status', '--porcelain')).toBe('');
    expect(await sh(repo, 'rev-parse', 'main')).toBe(moved);
    expect(await count(repo, '--merges', 'main')).toBe(0);
  }

  it('reports a conflicting candidate with its files and leaves nothing behind, not even an earlier attempt\'s candidate', async () => {
    const { worktreePath } = await lane();
    await commitFile(worktreePath, 'shared.txt', 'lane\n');
    await commitFile(worktreePath, 'gone.txt', 'lane\n');
    await sh(worktreePath, 'rm', '-q', 'README.md');
    await sh(worktreePath, 'commit', '-q', '-m', 'drop readme');
    const stale = await land('ff_only'); // an earlier attempt's candidate, left by a crash
    expect(existsSync(stale.candidatePath)).toBe(true);
    await commitFile(repo, 'README.md', 'main edits it\n');
    const moved = await commitFile(repo, 'shared.txt', 'main\n');
    for (const mode of ['merge', 'squash'] as const) {
      const cand = await land(mode);
      expect(cand).toMatchObject({ conflict: true, alreadyLanded: false, candidateHead: moved });
      expect([...(cand.conflictFiles ?? [])].sort()).toEqual(['README.md', 'shared.txt']); // content and modify/delete, each once
      await expectNothingLeft(cand.candidatePath, moved);
    }
  });

  it('tests exactly the land commit: the candidate checkout is the merge commit of target and lane, clean', async () => {
    const worktreePath = await laneWithWork();
    const moved = await commitFile(repo, 'other.txt', 'main moved\n');
    const laneHead = await sh(worktreePath, 'rev-parse', 'HEAD');
    const cand = await land('merge');
    expect(cand).toMatchObject({ conflict: false, targetHead: moved });
    expect(await sh(cand.candidatePath, 'rev-parse', 'HEAD')).toBe(cand.candidateHead);
    expect(await sh(cand.candidatePath, 'symbolic-ref', '--short', 'HEAD')).toBe(cand.candidateBranch);
    expect(await sh(repo, 'log', '-1', '--format=%P', cand.candidateHead)).toBe(`${moved} ${laneHead}`);
    expect(await sh(repo, 'log', '-1', '--format=%an <%ae>%n%B', cand.candidateHead)).toBe(`Lane Bot <lane-bot@example.com>\nLand ${laneId}\n\nLane-Id: ${laneId}\nLane-Step: land`);
    // Must not happen: a tested tree that differs from the commit that lands (stray files, edits, an index out of step).
    expect(await sh(cand.candidatePath, 'status', '--porcelain', '--untracked-files=all', '--ignored')).toBe('');
    expect(readFileSync(join(cand.candidatePath, 'other.txt'), 'utf8')).toBe('main moved\n');
    expect(readFileSync(join(cand.candidatePath, 'feature2.txt'), 'utf8')).toBe('more\n');
    // the same as git merge would have made
    await sh(repo, 'checkout', '-q', '-b', 'by-hand', moved);
    await sh(repo, 'merge', '-q', '--no-ff', '-m', 'by hand', laneHead);
    expect(await sh(repo, 'rev-parse', 'HEAD^{tree}')).toBe(await sh(repo, 'rev-parse', `${cand.candidateHead}^{tree}`));
  });

  it('squash mode: a lane whose changes the target already has lands the target head itself, with no commit', async () => {
    await laneWithWork();
    await sh(repo, 'checkout', '-q', branch, '--', 'feature.txt', 'feature2.txt');
    const moved = await commitFile(repo, 'feature.txt', 'feature\n', 'same content on main');
    const cand = await land('squash');
    expect(cand).toMatchObject({ conflict: false, candidateHead: moved });
    expect(await sh(cand.candidatePath, 'rev-parse', 'HEAD')).toBe(moved);
    expect(await count(repo, `${moved}..${cand.candidateBranch}`)).toBe(0); // must not happen: an empty squash commit
  });

  it('rebuilds past a candidate worktree git still lists whose folder was deleted by hand', async () => {
    await laneWithWork();
    const first = await land('merge');
    await sh(repo, 'branch', '-q', '--force', 'keep', first.candidateBranch);
    await sh(repo, 'checkout', '-q', '--detach');
    await sh(first.candidatePath, 'checkout', '-q', '--detach');
    await sh(repo, 'branch', '-q', '-D', first.candidateBranch);
    await sh(repo, 'checkout', '-q', 'main');
    rmSync(first.candidatePath, { recursive: true, force: true });
    const again = await land('merge');
    expect(again.conflict).toBe(false);
    expect(await sh(again.candidatePath, 'rev-parse', 'HEAD')).toBe(again.candidateHead);
    expect(await sh(repo, 'rev-parse', 'main')).toBe(mainHead);
  });
});

describe('git activities: closeout', () => {
  const close = (extra: { force?: boolean; worktreePath?: string; id?: string } = {}) =>
    git.closeout({
      laneId: extra.id ?? laneId,
      repoPath: repo,
      worktreePath: extra.worktreePath ?? join(home, 'worktrees', laneId),
      branch,
      target: 'main',
      ...(extra.force !== undefined ? { force: extra.force } : {}),
    });

  it('never removes a worktree with uncommitted work unless forced', async () => {
    const { worktreePath } = await lane();
    writeFileSync(join(worktreePath, 'wip.txt'), 'unsaved');
    const kept = await close();
    expect(kept).toMatchObject({ worktreeRemoved: false, branchDeleted: false });
    expect(kept.keptReason).toMatch(/uncommitted/);
    expect(readFileSync(join(worktreePath, 'wip.txt'), 'utf8')).toBe('unsaved');
    expect(await close({ force: true })).toMatchObject({ worktreeRemoved: true, branchDeleted: true });
    expect(existsSync(worktreePath)).toBe(false);
  });

  it('removes a clean landed lane and its branch, and says the same when retried', async () => {
    const { worktreePath } = await lane();
    await commitFile(worktreePath, 'f.txt', 'f');
    const cand = await git.prepareCandidate({ laneId, repoPath: repo, branch, target: 'main', mode: 'merge', message: 'land', author: AUTHOR });
    await git.advanceTarget({ laneId, repoPath: repo, target: 'main', candidateHead: cand.candidateHead, expectedTargetHead: cand.targetHead });
    expect(await close()).toEqual({ worktreeRemoved: true, branchDeleted: true });
    expect(existsSync(worktreePath)).toBe(false);
    expect(existsSync(cand.candidatePath)).toBe(false);
    expect(await sh(repo, 'branch', '--list', branch)).toBe('');
    expect(await close()).toEqual({ worktreeRemoved: true, branchDeleted: true });
  });

  it('never deletes a lane branch with commits that did not land', async () => {
    const { worktreePath } = await lane();
    const tip = await commitFile(worktreePath, 'f.txt', 'f');
    const result = await close();
    expect(result).toMatchObject({ worktreeRemoved: true, branchDeleted: false });
    expect(result.keptReason).toMatch(/1 commit\(s\) not in main/);
    expect(await sh(repo, 'rev-parse', branch)).toBe(tip);
  });

  it('keeps a squash-landed branch and says why', async () => {
    const { worktreePath } = await lane();
    const tip = await commitFile(worktreePath, 'f.txt', 'f');
    const cand = await git.prepareCandidate({ laneId, repoPath: repo, branch, target: 'main', mode: 'squash', message: 'land', author: AUTHOR });
    await git.advanceTarget({ laneId, repoPath: repo, target: 'main', candidateHead: cand.candidateHead, expectedTargetHead: cand.targetHead });
    const result = await close();
    expect(result).toMatchObject({ worktreeRemoved: true, branchDeleted: false });
    expect(result.keptReason).toMatch(/squash-landed/);
    expect(await sh(repo, 'rev-parse', branch)).toBe(tip);
  });

  it('keeps a worktree with untracked files even when the repository hides them from git status', async () => {
    const { worktreePath } = await lane();
    await sh(repo, 'config', 'status.showUntrackedFiles', 'no'); // git worktree remove would then see it clean
    writeFileSync(join(worktreePath, 'new-work.txt'), 'not yet added');
    const kept = await close();
    expect(kept).toMatchObject({ worktreeRemoved: false, branchDeleted: false });
    expect(kept.keptReason).toMatch(/1 uncommitted path\(s\) \(new-work\.txt\)/);
    // Must NOT: the untracked file or its worktree gone.
    expect(readFileSync(join(worktreePath, 'new-work.txt'), 'utf8')).toBe('not yet added');
  });

  it('keeps a landed lane branch that moved on after landing', async () => {
    const { worktreePath } = await lane();
    await commitFile(worktreePath, 'f.txt', 'f');
    const cand = await git.prepareCandidate({ laneId, repoPath: repo, branch, target: 'main', mode: 'merge', message: 'land', author: AUTHOR });
    await git.advanceTarget({ laneId, repoPath: repo, target: 'main', candidateHead: cand.candidateHead, expectedTargetHead: cand.targetHead });
    const after = await commitFile(worktreePath, 'g.txt', 'after landing');
    const result = await close();
    expect(result).toMatchObject({ worktreeRemoved: true, branchDeleted: false });
    expect(result.keptReason).toMatch(/1 commit\(s\) (are )?not in main/);
    // Must NOT: the commit made after the landing deleted with the branch; the candidate kept.
    expect(await sh(repo, 'rev-parse', branch)).toBe(after);
    expect(await sh(repo, 'branch', '--list', `lanes-candidate/${laneId}`)).toBe('');
  });

  it('deletes a lane branch landed long ago (the target moved on) and one landed by fast-forward', async () => {
    const { worktreePath } = await lane();
    await commitFile(worktreePath, 'f.txt', 'f');
    const cand = await git.prepareCandidate({ laneId, repoPath: repo, branch, target: 'main', mode: 'ff_only', message: 'land', author: AUTHOR });
    await git.advanceTarget({ laneId, repoPath: repo, target: 'main', candidateHead: cand.candidateHead, expectedTargetHead: cand.targetHead });
    await commitFile(repo, 'later-1.txt', 'later');
    await commitFile(repo, 'later-2.txt', 'later');
    expect(await close()).toEqual({ worktreeRemoved: true, branchDeleted: true });
    expect(await sh(repo, 'branch', '--list', branch)).toBe('');
    expect(await sh(repo, 'config', '--local', '--list')).not.toContain('lanesLaneId'); // the marker goes with the branch
  });

  it('keeps a landed lane branch checked out elsewhere, and still removes the candidate', async () => {
    const { worktreePath } = await lane();
    const tip = await commitFile(worktreePath, 'f.txt', 'f');
    const cand = await git.prepareCandidate({ laneId, repoPath: repo, branch, target: 'main', mode: 'merge', message: 'land', author: AUTHOR });
    await git.advanceTarget({ laneId, repoPath: repo, target: 'main', candidateHead: cand.candidateHead, expectedTargetHead: cand.targetHead });
    const elsewhere = join(tempDir('lanes-elsewhere-'), 'wt');
    await sh(repo, 'worktree', 'add', '-q', '--force', elsewhere, branch);
    const result = await close();
    expect(result).toMatchObject({ worktreeRemoved: true, branchDeleted: false });
    expect(result.keptReason).toMatch(/could not be deleted/);
    expect(await sh(repo, 'branch', '--list', `lanes-candidate/${laneId}`)).toBe('');
    expect(existsSync(cand.candidatePath)).toBe(false);
    // Must NOT: the branch deleted under the checkout that has it.
    expect(await sh(repo, 'rev-parse', branch)).toBe(tip);
    expect(await sh(elsewhere, 'symbolic-ref', '--short', 'HEAD')).toBe(branch);
  });

  it('never touches another lane worktree', async () => {
    await lane();
    const b = await lane('lane-b', 'lanes/lane-b');
    await expect(close({ worktreePath: b.worktreePath })).rejects.toMatchObject({ type: 'workspace_mismatch' });
    expect(existsSync(join(b.worktreePath, 'README.md'))).toBe(true);
    expect(await sh(repo, 'branch', '--list', 'lanes/lane-b')).toContain('lanes/lane-b');
  });

  it('never deletes a branch the lane did not create, even when every commit of it is in the target', async () => {
    await lane();
    await sh(repo, 'branch', 'landed-by-hand');
    const result = await git.closeout({ laneId, repoPath: repo, worktreePath: join(home, 'worktrees', laneId), branch: 'landed-by-hand', target: 'main' });
    expect(result.branchDeleted).toBe(false);
    expect(result.keptReason).toMatch(/was not created by lane lane-a; never deleted/);
    expect(await sh(repo, 'rev-parse', 'landed-by-hand')).toBe(mainHead);
  });

  it('never deletes the target even when asked to treat it as the lane branch', async () => {
    await lane();
    const result = await git.closeout({ laneId, repoPath: repo, worktreePath: join(home, 'worktrees', laneId), branch: 'main', target: 'main' });
    expect(result.branchDeleted).toBe(false);
    expect(await sh(repo, 'rev-parse', 'main')).toBe(mainHead);
  });
});
