// openLane on real repositories: the lane's start (preflight, trust gate, worktree) in one
// activity with fewer git processes than the step-by-step start, nothing created in an
// untrusted repository, and every preflight problem refused as preflightLane refuses it.
// git runs through a PATH shim that logs each process (the real git does the work).
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGitActivities, type GitActivities } from '../../../src/activities/git.js';
import { createHostActivities } from '../../../src/activities/host.js';
import { createLaneOpenActivities } from '../../../src/activities/lane-open.js';
import { fixtureGit as sh, gitTestbed, initFixtureRepo } from '../../support/git-env.js';

const { tempDir } = gitTestbed('lanes-open-home-');

let home: string;
let repo: string;
let mainHead: string;
let git: GitActivities;
let gitLog: string;
let savedPath: string | undefined;

function opener(trustedRoots: string[]) {
  const host = createHostActivities({ hostQueue: 'q@h', hostId: 'h', trustedRoots });
  return createLaneOpenActivities({ checkTrust: host.checkTrust, preflightLane: git.preflightLane, prepareWorktree: git.prepareWorktree });
}

/** The git commands run since the last call, one line each (args only, without Lanes' own -c options). */
function gitRuns(): string[] {
  const lines = existsSync(gitLog) ? readFileSync(gitLog, 'utf8').split('\n').filter(Boolean).map((l) => l.replace(/^(-c \S+ )+/, '')) : [];
  writeFileSync(gitLog, '');
  return lines;
}

const input = (laneId: string, over: Partial<{ baseBranch: string; target: string; branch: string; repoPath: string }> = {}) => ({
  laneId,
  repoPath: repo,
  baseBranch: 'main',
  target: 'main',
  branch: `lanes/${laneId}`,
  ...over,
});

beforeEach(async () => {
  home = tempDir('lanes-open-lh-');
  repo = tempDir('lanes-open-repo-');
  mainHead = await initFixtureRepo(repo, { 'README.md': 'hello\n' });
  git = createGitActivities({ home });
  const bin = tempDir('lanes-open-bin-');
  gitLog = join(bin, 'git.log');
  writeFileSync(join(bin, 'git'), `#!/bin/sh\necho "$*" >> '${gitLog}'\nexec /usr/bin/git "$@"\n`);
  chmodSync(join(bin, 'git'), 0o755);
  savedPath = process.env.PATH;
  process.env.PATH = `${bin}:${savedPath}`;
});

afterEach(() => {
  process.env.PATH = savedPath;
});

describe('openLane: the lane start in one activity', () => {
  it('creates the worktree with fewer git processes than preflightLane + prepareWorktree, reading the heads once', async () => {
    const stepByStep = input('lane-old');
    await git.preflightLane(stepByStep);
    const old = await git.prepareWorktree(stepByStep);
    const oldRuns = gitRuns();

    const opened = await opener([repo]).openLane(input('lane-new'));
    const newRuns = gitRuns();
    expect(opened).toMatchObject({ trusted: true, worktree: { branch: 'lanes/lane-new', baseCommit: mainHead, created: true } });
    expect(old).toMatchObject({ baseCommit: mainHead, created: true });
    expect(await sh(opened.trusted ? opened.worktree.worktreePath : repo, 'rev-parse', 'HEAD')).toBe(mainHead);
    // 6 processes (two pairs side by side, then the marker and `worktree add`) against 7 (8 before the preflight read its heads in one for-each-ref).
    expect(newRuns.length).toBeLessThan(oldRuns.length);
    expect(newRuns.length).toBeLessThanOrEqual(6);
    // Must not: the base or the lane branch read a second time once the preflight has read them.
    expect(newRuns.filter((r) => r.startsWith('for-each-ref'))).toHaveLength(1);
    expect(newRuns.filter((r) => r.includes('refs/heads/main'))).toHaveLength(1);
    expect(newRuns.some((r) => /^rev-parse --verify --quiet (main|refs\/heads)/.test(r))).toBe(false);

    // A retry (the worker died at after_worktree) finds the same worktree and creates nothing.
    const again = await opener([repo]).openLane(input('lane-new'));
    expect(again).toMatchObject({ trusted: true, worktree: { created: false, worktreePath: opened.trusted ? opened.worktree.worktreePath : '' } });
  });

  it('an untrusted repository gets nothing written: no branch, no marker, no worktree', async () => {
    const refsBefore = await sh(repo, 'for-each-ref');
    const configBefore = readFileSync(join(repo, '.git', 'config'), 'utf8');
    const opened = await opener([tempDir('lanes-open-elsewhere-')]).openLane(input('lane-untrusted'));
    expect(opened).toMatchObject({ trusted: false });
    const runs = gitRuns();
    // Must not: any git write (config, worktree add, branch) before `lanes trust`.
    expect(runs.some((r) => /^(config|worktree|branch|update-ref)/.test(r))).toBe(false);
    expect(await sh(repo, 'for-each-ref')).toBe(refsBefore);
    expect(readFileSync(join(repo, '.git', 'config'), 'utf8')).toBe(configBefore);
    expect(existsSync(join(home, 'worktrees', 'lane-untrusted'))).toBe(false);
  });

  it('a preflight problem is refused with the class, message and hint of preflightLane; nothing is created', async () => {
    await sh(repo, 'branch', 'wip');
    const notRepo = tempDir('lanes-open-plain-');
    const unborn = tempDir('lanes-open-unborn-');
    await sh(unborn, 'init', '-q');
    const cases = [
      { over: { baseBranch: 'develop' }, message: /repo\.baseBranch: base branch "develop" does not exist/, hint: /set repo\.baseBranch/ },
      { over: { target: 'release' }, message: /merge\.target: merge target "release" is not a local branch/, hint: /set merge\.target/ },
      { over: { branch: 'main' }, message: /branch\.name: branch\.name "main" is the lane's merge target/, hint: /branch of its own/ },
      { over: { branch: 'wip' }, message: /branch\.name: branch wip already exists and is not this lane's/, hint: /wip is left untouched/ },
      { over: { repoPath: join(repo, 'nope') }, message: /repo\.path: repo\.path .* does not exist/, hint: /set repo\.path/ },
      { over: { repoPath: notRepo }, message: /repo\.path: repo\.path .* is not a git work tree/, hint: /git init/ },
      { over: { repoPath: unborn }, message: /repo\.path: repository .* has no commits yet/, hint: /make a first commit/ },
    ];
    for (const [i, c] of cases.entries()) {
      const laneId = `lane-bad-${i}`;
      const viaOpen = await opener([repo, notRepo, unborn]).openLane(input(laneId, c.over)).catch((e: unknown) => e);
      const viaPreflight = await git.preflightLane(input(laneId, c.over)).catch((e: unknown) => e);
      expect(viaOpen, String(c.over)).toMatchObject({ type: 'validator', nonRetryable: true, message: expect.stringMatching(c.message) });
      expect((viaOpen as { details: [{ hint: string }] }).details[0].hint).toMatch(c.hint);
      expect(viaOpen).toMatchObject({ type: (viaPreflight as { type: string }).type, message: (viaPreflight as Error).message, details: (viaPreflight as { details: unknown }).details });
      // Must not: a worktree (or its folder) for a lane that failed its preflight.
      expect(existsSync(join(home, 'worktrees', laneId))).toBe(false);
    }
    expect(gitRuns().some((r) => /^(worktree add|config --local branch)/.test(r))).toBe(false);
  });
});
