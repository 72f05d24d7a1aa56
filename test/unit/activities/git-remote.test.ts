// Lanes on a remote repository (repo.url): the git activities against a bare repository served
// over real transports on loopback — file://, git daemon (git://) and smart HTTP through
// git http-backend — with each "host" keeping its own mirror under its own LANES_HOME.
// HOME points at an empty folder: nothing leans on the machine's git config.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitActivities, type GitActivities } from '../../../src/activities/git.js';
import { withRemoteRepos } from '../../../src/activities/git-remote.js';
import { CALCULATOR_FIX, createFixtureRepo, GIT_IDENTITY_ENV } from '../../../src/demo/fixture-repo.js';
import { mirrorPathFor } from '../../../src/git/remote-url.js';
import { redactUrls } from '../../../src/shared/repo-url.js';
import { TaskPacketSchema } from '../../../src/packet/schema.js';
import { bareCopy, type GitServer, startGitDaemon, startHttpGitServer } from '../../support/git-servers.js';

const AUTHOR = { name: 'Lane Bot', email: 'lane-bot@example.com' };
const root = mkdtempSync(join(tmpdir(), 'lanes-remote-'));
const savedHome = process.env.HOME;
let source: string;

beforeAll(async () => {
  process.env.HOME = join(root, 'user-home');
  mkdirSync(process.env.HOME, { recursive: true });
  source = (await createFixtureRepo(join(root, 'source'))).path;
});
afterAll(() => {
  process.env.HOME = savedHome;
  rmSync(root, { recursive: true, force: true });
});

function hostActs(name: string): { acts: GitActivities; home: string } {
  const home = join(root, 'hosts', name);
  mkdirSync(home, { recursive: true });
  return { acts: withRemoteRepos(home, createGitActivities({ home })), home };
}

const git = async (cwd: string, ...args: string[]) => (await execa('git', args, { cwd, env: { ...GIT_IDENTITY_ENV, GIT_TERMINAL_PROMPT: '0' } })).stdout.trim();
const remoteHead = async (url: string, ref: string) => (await git(root, 'ls-remote', url, ref)).split('\t')[0] ?? '';

/** Someone else pushes to the remote target: what a lane on another host landing looks like. */
async function moveTarget(url: string, name: string): Promise<string> {
  const dir = mkdtempSync(join(root, 'other-'));
  await git(dir, 'clone', '-q', url, 'c');
  const c = join(dir, 'c');
  writeFileSync(join(c, `${name}.md`), `${name}\n`);
  await git(c, 'add', '-A');
  await git(c, 'commit', '-q', '-m', `other work: ${name}`);
  await git(c, 'push', '-q', 'origin', 'HEAD:main');
  return git(c, 'rev-parse', 'HEAD');
}

async function startLane(acts: GitActivities, url: string, laneId: string, file = `notes/${laneId}.md`) {
  const branch = `lanes/${laneId}`;
  await acts.preflightLane({ laneId, repoPath: url, baseBranch: 'main', target: 'main', branch });
  const wt = await acts.prepareWorktree({ laneId, repoPath: url, baseBranch: 'main', branch });
  mkdirSync(join(wt.worktreePath, 'notes'), { recursive: true });
  writeFileSync(join(wt.worktreePath, 'src/math.js'), CALCULATOR_FIX);
  writeFileSync(join(wt.worktreePath, file), `${laneId}\n`);
  const commit = await acts.commitWork({ laneId, step: 'agent-1', worktreePath: wt.worktreePath, message: `work of ${laneId}`, author: AUTHOR });
  return { branch, worktreePath: wt.worktreePath, sha: commit.sha! };
}

const candidateOf = (acts: GitActivities, url: string, laneId: string, branch: string) =>
  acts.prepareCandidate({ laneId, repoPath: url, branch, target: 'main', mode: 'merge', message: `Merge ${branch}`, author: AUTHOR });

const transports: [string, (bare: string, name: string) => Promise<{ url: string; server?: GitServer }>][] = [
  ['file://', async (bare) => ({ url: pathToFileURL(bare).href })],
  [
    'git daemon (git://)',
    async (bare, name) => {
      const server = await startGitDaemon(join(bare, '..'), name);
      return { url: server.url(name), server };
    },
  ],
  [
    'smart HTTP (git http-backend)',
    async (bare, name) => {
      const server = await startHttpGitServer(join(bare, '..'), name);
      return { url: server.url(name), server };
    },
  ],
];

describe.each(transports)('a lane on a remote over %s', (transport, serve) => {
  let url: string;
  let server: GitServer | undefined;
  const tag = transport.replace(/[^a-z]/gi, '').slice(0, 8).toLowerCase();

  beforeAll(async () => {
    const name = `origin-${tag}.git`;
    const bare = await bareCopy(source, join(root, `served-${tag}`, name));
    ({ url, server } = await serve(bare, name));
  });
  afterAll(async () => server?.close());

  it('lands; when the target moved it merges forward, lands once, and the lane branch is on the remote', async () => {
    const { acts, home } = hostActs(`a-${tag}`);
    const laneId = `remote-${tag}`;
    const lane = await startLane(acts, url, laneId);
    // The checkpoint is on the remote: another host can re-home the lane from it.
    expect(await remoteHead(url, `refs/heads/${lane.branch}`)).toBe(lane.sha);
    // The worktree came from this host's mirror under its LANES_HOME.
    expect(await git(lane.worktreePath, 'rev-parse', '--path-format=absolute', '--git-common-dir')).toBe(mirrorPathFor(home, url));

    const stale = await candidateOf(acts, url, laneId, lane.branch);
    expect(stale).toMatchObject({ alreadyLanded: false, conflict: false });
    const other = await moveTarget(url, `other-${tag}`);
    const moved = await acts.advanceTarget({ laneId, repoPath: url, target: 'main', candidateHead: stale.candidateHead, expectedTargetHead: stale.targetHead });
    expect(moved).toEqual({ landed: false, targetHead: other, reason: 'target_moved' });
    // Must not: the stale candidate on the remote, or the other work overwritten (never a force).
    expect(await remoteHead(url, 'refs/heads/main')).toBe(other);

    const fresh = await candidateOf(acts, url, laneId, lane.branch);
    expect(fresh.targetHead).toBe(other);
    const landed = await acts.advanceTarget({ laneId, repoPath: url, target: 'main', candidateHead: fresh.candidateHead, expectedTargetHead: fresh.targetHead });
    expect(landed).toMatchObject({ landed: true, targetHead: fresh.candidateHead });
    // What the report lists as landed: the lane's checkpoint and its land commit, not the other work.
    expect(landed.landedCommits?.map((c) => [c.laneId, c.step])).toEqual([
      [laneId, 'agent-1'],
      [laneId, 'land'],
    ]);
    // A retried push (its answer lost) is recognised as landed, not pushed again.
    expect(await acts.advanceTarget({ laneId, repoPath: url, target: 'main', candidateHead: fresh.candidateHead, expectedTargetHead: fresh.targetHead })).toMatchObject({ landed: true });

    const check = mkdtempSync(join(root, 'check-'));
    await git(check, 'clone', '-q', url, 'c');
    const c = join(check, 'c');
    expect(await git(c, 'rev-parse', 'HEAD')).toBe(fresh.candidateHead);
    expect(Number(await git(c, 'rev-list', '--count', '--merges', 'HEAD'))).toBe(1);
    expect(await git(c, 'merge-base', '--is-ancestor', other, 'HEAD')).toBe('');
    expect(readFileSync(join(c, `notes/${laneId}.md`), 'utf8')).toBe(`${laneId}\n`);
    // Must not: the stale candidate anywhere in the remote's history.
    await expect(git(c, 'merge-base', '--is-ancestor', stale.candidateHead, 'HEAD')).rejects.toThrow();
    expect(await remoteHead(url, `refs/heads/${lane.branch}`)).toBe(lane.sha);

    expect(await acts.isLanded({ laneId, repoPath: url, target: 'main', branch: lane.branch })).toMatchObject({ landed: true });
    const closed = await acts.closeout({ laneId, repoPath: url, worktreePath: lane.worktreePath, branch: lane.branch, target: 'main' });
    expect(closed).toMatchObject({ worktreeRemoved: true, branchDeleted: true });
  });
});

describe('hosts and a remote over git daemon', () => {
  let url: string;
  let server: GitServer;
  beforeAll(async () => {
    const bare = await bareCopy(source, join(root, 'served-hosts', 'shared.git'));
    server = await startGitDaemon(join(bare, '..'), 'shared.git');
    url = server.url('shared.git');
  });
  afterAll(async () => server?.close());

  it('another host re-homes a lane from the pushed lane branch and carries on', async () => {
    const a = hostActs('rehome-a');
    const b = hostActs('rehome-b');
    const laneId = 'rehomed-lane';
    const lane = await startLane(a.acts, url, laneId);
    // Host b has never seen this repository: its worktree comes from the remote lane branch.
    const wt = await b.acts.prepareWorktree({ laneId, repoPath: url, baseBranch: 'main', branch: lane.branch });
    expect(wt.worktreePath.startsWith(b.home) || wt.worktreePath.includes('rehome-b')).toBe(true);
    expect(wt.created).toBe(true);
    expect(await git(wt.worktreePath, 'rev-parse', 'HEAD')).toBe(lane.sha);
    expect(readFileSync(join(wt.worktreePath, `notes/${laneId}.md`), 'utf8')).toBe(`${laneId}\n`);
    // Must not: a fresh branch from main on the new host (the lost host's work dropped).
    writeFileSync(join(wt.worktreePath, 'more.md'), 'more\n');
    const next = await b.acts.commitWork({ laneId, step: 'agent-2', worktreePath: wt.worktreePath, message: 'more', author: AUTHOR });
    expect(await git(wt.worktreePath, 'rev-parse', 'HEAD~1')).toBe(lane.sha);
    expect(await remoteHead(url, `refs/heads/${lane.branch}`)).toBe(next.sha);
  });

  it('lanes on one host take turns landing on one target: no candidate goes stale', async () => {
    const { acts } = hostActs('turns');
    const ids = [0, 1, 2, 3].map((i) => `turn-${i}`);
    const lanes = await Promise.all(ids.map((id) => startLane(acts, url, id)));
    const attempts = await Promise.all(
      ids.map(async (laneId, i) => {
        for (let attempt = 1; attempt <= 6; attempt++) {
          const cand = await candidateOf(acts, url, laneId, lanes[i]!.branch);
          // A test run on the candidate would happen here.
          await new Promise((r) => setTimeout(r, 150));
          const adv = await acts.advanceTarget({ laneId, repoPath: url, target: 'main', candidateHead: cand.candidateHead, expectedTargetHead: cand.targetHead });
          if (adv.landed) return attempt;
        }
        return -1;
      }),
    );
    // Must not: a lane losing a landing race to a lane on its own host.
    expect(attempts).toEqual([1, 1, 1, 1]);
    const check = mkdtempSync(join(root, 'turns-'));
    await git(check, 'clone', '-q', url, 'c');
    const files = (await git(join(check, 'c'), 'ls-tree', '--name-only', 'HEAD', 'notes/')).split('\n').sort();
    expect(files).toEqual(expect.arrayContaining(ids.map((id) => `notes/${id}.md`)));
    expect(Number(await git(join(check, 'c'), 'rev-list', '--count', '--merges', 'HEAD'))).toBe(ids.length);
  });
});

describe('credentials', () => {
  it('come from the host git config (a credential helper), and never appear in the mirror or the results', async () => {
    const secret = 's3cret-pass-for-tests';
    const bare = await bareCopy(source, join(root, 'served-auth', 'private.git'));
    const server = await startHttpGitServer(join(bare, '..'), 'private.git', { user: 'lane-user', password: secret });
    try {
      const url = server.url('private.git');
      const { acts, home } = hostActs('auth');
      // Without credentials the remote refuses, quickly (no prompt), with a hint about credentials.
      const refused = await acts.preflightLane({ laneId: 'auth-lane', repoPath: url, baseBranch: 'main', target: 'main', branch: 'lanes/auth-lane' }).catch((e: unknown) => e);
      expect(refused).toMatchObject({ type: 'infra', message: expect.stringMatching(/terminal prompts disabled/), details: [{ hint: expect.stringMatching(/credential helper/) }] });
      const store = join(process.env.HOME!, '.git-credentials');
      writeFileSync(store, `${url.replace('http://', `http://lane-user:${secret}@`)}\n`);
      writeFileSync(join(process.env.HOME!, '.gitconfig'), `[credential]\n\thelper = store --file ${store}\n`);
      try {
        const lane = await startLane(acts, url, 'auth-lane');
        const cand = await candidateOf(acts, url, 'auth-lane', lane.branch);
        const adv = await acts.advanceTarget({ laneId: 'auth-lane', repoPath: url, target: 'main', candidateHead: cand.candidateHead, expectedTargetHead: cand.targetHead });
        expect(adv.landed).toBe(true);
        expect(server.requests.some((r) => r.authorized && r.url.includes('git-receive-pack'))).toBe(true);
        // Must not: the password stored anywhere Lanes writes, or in what it returns.
        const config = readFileSync(join(mirrorPathFor(home, url), 'config'), 'utf8');
        expect(config).not.toContain(secret);
        expect(JSON.stringify({ lane, cand, adv })).not.toContain(secret);
      } finally {
        rmSync(join(process.env.HOME!, '.gitconfig'), { force: true });
        rmSync(store, { force: true });
      }
    } finally {
      await server.close();
    }
  });

  it('a URL with credentials is refused by the packet schema, without echoing the secret', () => {
    const r = TaskPacketSchema.safeParse({ objective: 'x', repo: { url: 'https://bot:tok3n-value@example.com/org/repo.git' }, agent: { provider: 'scripted' } });
    expect(r.success).toBe(false);
    const text = JSON.stringify(r.error?.issues);
    expect(text).toContain('carries credentials');
    expect(text).not.toContain('tok3n-value');
    expect(redactUrls('fatal: https://bot:tok3n-value@example.com/x failed')).toBe('fatal: https://***@example.com/x failed');
  });
});
