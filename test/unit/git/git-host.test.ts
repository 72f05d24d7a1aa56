// The git host (src/git/git-host.ts): the worker's git commands run in a small child
// process instead of being forked from the big worker. Every result and error must be the
// one the in-process path gives, the host's death must fail pending commands as retryable
// infra (and the next command start a new host), and the host must never outlive its
// parent. The host is the built dist/git/git-host-main.js (`npm run build` first).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GitCommandError, gitTest, runGit } from '../../../src/git/client.js';
import { closeGitHost, gitHostEnabled, gitHostPid, useGitHost } from '../../../src/git/git-host.js';
import { LanesError } from '../../../src/lanes-error.js';
import { pollUntil } from '../../support/lane-assertions.js';

let root: string;
let repo: string;
const BIG_BYTES = 6 * 1024 * 1024;

const env = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' };
const sh = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env, encoding: 'utf8' });

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'lanes-git-host-'));
  repo = join(root, 'repo');
  sh(root, 'init', '-q', '-b', 'main', repo);
  // Several MB of output in one answer: a long line-based file, committed.
  writeFileSync(join(repo, 'big.txt'), Array.from({ length: BIG_BYTES / 64 }, (_, i) => `${String(i).padStart(10, '0')} ${'x'.repeat(52)}\n`).join(''));
  writeFileSync(join(repo, 'a.txt'), 'a\n');
  sh(repo, 'add', '-A');
  sh(repo, 'commit', '-q', '-m', 'init');
  // Prints the pid of the process that started git (the git's parent): "<git pid> <its ppid>".
  sh(repo, 'config', 'alias.whospawned', '!echo "$PPID $(cut -d" " -f4 /proc/$PPID/stat)"');
  sh(repo, 'config', 'alias.slow', '!sleep 3');
});

afterEach(async () => {
  await closeGitHost();
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

type Seen = { ok: true; value: unknown } | { ok: false; error: Record<string, unknown> };

async function seen(fn: () => Promise<unknown>): Promise<Seen> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    const e = err as GitCommandError;
    return {
      ok: false,
      error: { class: e.constructor.name, name: e.name, message: e.message, hint: e.hint, failureClass: e.failureClass, exitStatus: e.exitStatus, stderr: e.stderr, stdout: e.stdout, args: e.args, dir: e.dir },
    };
  }
}

const CASES: Record<string, () => Promise<unknown>> = {
  success: () => runGit(repo, ['rev-parse', 'HEAD']),
  'non-zero exit keeps status and stderr': () => runGit(repo, ['rev-parse', '--verify', 'no-such-branch^{commit}']),
  'non-zero exit with stdout only': () => runGit(repo, ['rev-parse', '--verify', '--quiet', 'no-such-branch^{commit}']),
  'missing directory': () => runGit(join(root, 'gone'), ['status']),
  'gitTest true': () => gitTest(repo, ['merge-base', '--is-ancestor', 'HEAD', 'HEAD']),
  'gitTest false': () => gitTest(repo, ['show-ref', '--verify', '--quiet', 'refs/heads/nope']),
  'gitTest throws on exit 128': () => gitTest(repo, ['cat-file', '-e', 'nope']),
  'big output': () => runGit(repo, ['show', 'HEAD:big.txt']),
  'identity reaches git': () =>
    runGit(repo, ['var', 'GIT_AUTHOR_IDENT'], { identity: { name: 'Ada', email: 'ada@example.com' } }).then((s) => s.replace(/\d+ [+-]\d{4}\n$/, '')),
};

describe('git host: same results and errors as in-process git', () => {
  it('gives identical results and errors for every case, from the host process', async () => {
    const inProcess: Record<string, Seen> = {};
    for (const [name, fn] of Object.entries(CASES)) inProcess[name] = await seen(fn);
    expect(useGitHost({})).toBe(true);
    const viaHost: Record<string, Seen> = {};
    for (const [name, fn] of Object.entries(CASES)) viaHost[name] = await seen(fn);

    expect(viaHost).toEqual(inProcess);
    // The cases mean what they say (an equal pair of wrong results would pass the line above).
    expect(inProcess.success).toMatchObject({ ok: true, value: expect.stringMatching(/^[0-9a-f]{40}\n$/) });
    expect(inProcess['non-zero exit keeps status and stderr']).toMatchObject({ ok: false, error: { class: 'GitCommandError', exitStatus: 128, failureClass: 'infra', stderr: expect.stringContaining('Needed a single revision') } });
    expect(inProcess['non-zero exit with stdout only']).toMatchObject({ ok: false, error: { exitStatus: 1 } });
    expect(inProcess['missing directory']).toMatchObject({ ok: false, error: { exitStatus: -1, stderr: expect.stringContaining('does not exist') } });
    expect(inProcess['gitTest true']).toEqual({ ok: true, value: true });
    expect(inProcess['gitTest false']).toEqual({ ok: true, value: false });
    expect(inProcess['gitTest throws on exit 128']).toMatchObject({ ok: false, error: { exitStatus: 128 } });
    expect(inProcess['big output']).toEqual({ ok: true, value: readFileSync(join(repo, 'big.txt'), 'utf8') });
    expect(inProcess['identity reaches git']).toEqual({ ok: true, value: 'Ada <ada@example.com> ' });

    // Must NOT: fork git from this (the big) process when the host is on.
    const [, parent] = (await runGit(repo, ['whospawned'])).trim().split(' ').map(Number);
    expect(parent).toBe(gitHostPid());
    expect(parent).not.toBe(process.pid);
  });

  it('builds the git environment in the host from the one it inherited: redirections dropped, identity and C locale added', async () => {
    // A GIT_DIR inherited by the worker (a hook that launched it) must not redirect the host's git either.
    const other = join(root, 'other.git');
    sh(root, 'init', '-q', '--bare', other);
    process.env.GIT_DIR = other;
    process.env.LC_ALL = 'de_DE.UTF-8';
    try {
      useGitHost({});
    } finally {
      delete process.env.GIT_DIR;
      delete process.env.LC_ALL;
    }
    const [, parent] = (await runGit(repo, ['whospawned'])).trim().split(' ').map(Number);
    expect(parent).toBe(gitHostPid());
    // Must NOT happen: git answering for the inherited GIT_DIR, or in another locale.
    expect(await runGit(repo, ['rev-parse', '--absolute-git-dir'])).toBe(`${join(repo, '.git')}\n`);
    expect(await runGit(repo, ['var', 'GIT_COMMITTER_IDENT'])).toMatch(/^Lanes <lanes@localhost> /);
    expect(await runGit(repo, ['var', 'GIT_AUTHOR_IDENT'], { identity: { name: 'Bo', email: 'bo@example.com' } })).toMatch(/^Bo <bo@example.com> /);
    sh(repo, 'config', 'alias.locale', '!printf %s "$LC_ALL"');
    expect(await runGit(repo, ['locale'])).toBe('C');
  });

  it('runs many commands at once and answers each with its own result', async () => {
    useGitHost({});
    const revs = Array.from({ length: 30 }, (_, i) => (i % 3 === 0 ? `HEAD:big.txt` : i % 3 === 1 ? 'HEAD' : `nope-${i}`));
    const results = await Promise.all(revs.map((rev) => seen(() => runGit(repo, rev.includes(':') ? ['show', rev] : ['rev-parse', '--verify', rev]))));
    results.forEach((r, i) => {
      if (i % 3 === 0) expect(r).toEqual({ ok: true, value: expect.stringMatching(/^0000000000 x+\n/) });
      if (i % 3 === 1) expect(r).toMatchObject({ ok: true, value: expect.stringMatching(/^[0-9a-f]{40}\n$/) });
      // Must NOT: hand one command's answer to another.
      if (i % 3 === 2) expect(r).toMatchObject({ ok: false, error: { args: ['rev-parse', '--verify', `nope-${i}`], exitStatus: 128 } });
    });
  });

  it('still removes a stale index.lock and retries, through the host', async () => {
    useGitHost({});
    const lock = join(repo, '.git', 'index.lock');
    writeFileSync(lock, '');
    const old = new Date(Date.now() - 60_000);
    utimesSync(lock, old, old);
    writeFileSync(join(repo, 'c.txt'), 'c\n');
    await runGit(repo, ['add', 'c.txt']);
    expect(existsSync(lock)).toBe(false);
    expect(await runGit(repo, ['diff', '--cached', '--name-only'])).toBe('c.txt\n');
    await runGit(repo, ['reset', '-q']);
  });
});

describe('git host: lifecycle', () => {
  it('fails a pending command as retryable infra when the host is killed, and the next command starts a new host', async () => {
    useGitHost({});
    const first = gitHostPid()!;
    const pending = runGit(repo, ['slow']);
    // Wait until the host has started that git, then kill the host mid-call.
    await pollUntil('the host to start git', () => (childrenOf(first).length > 0 ? true : undefined), 15_000, 50);
    process.kill(first, 'SIGKILL');
    const err = await pending.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(GitCommandError);
    expect(err).toMatchObject({ exitStatus: -1, failureClass: 'infra', message: expect.stringMatching(/git host process \(pid \d+\) was killed by SIGKILL/), hint: expect.stringContaining('LANES_GIT_HOST=off') });

    expect(await runGit(repo, ['rev-parse', '--abbrev-ref', 'HEAD'])).toBe('main\n');
    // Must NOT: keep sending to the dead host.
    expect(gitHostPid()).toBeDefined();
    expect(gitHostPid()).not.toBe(first);
  });

  it('exits cleanly when closed (worker shutdown) and git runs in-process again', async () => {
    useGitHost({});
    const pid = gitHostPid()!;
    await runGit(repo, ['status', '--short']);
    await closeGitHost();
    expect(processGone(pid)).toBe(true);
    expect(gitHostEnabled()).toBe(false);
    const [, parent] = (await runGit(repo, ['whospawned'])).trim().split(' ').map(Number);
    expect(parent).toBe(process.pid);
  });

  it('is gone when its parent is SIGKILLed (no orphan)', async () => {
    const parent = execa(process.execPath, ['--input-type=module', '-e', PARENT_SCRIPT, repo], { reject: false, buffer: false, stdout: 'pipe' });
    const hostPid = await new Promise<number>((resolve, reject) => {
      parent.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
      void parent.then((r) => reject(new Error(`parent exited early: ${String(r.exitCode)} ${String(r.stderr)}`)));
    });
    expect(processGone(hostPid)).toBe(false);
    parent.kill('SIGKILL');
    await parent;
    await pollUntil('the host to exit', () => (processGone(hostPid) ? true : undefined), 15_000, 50);
    // Must NOT: survive the parent.
    expect(processGone(hostPid)).toBe(true);
  });

  it('honours LANES_GIT_HOST=off and refuses an unknown value', async () => {
    expect(useGitHost({ LANES_GIT_HOST: 'off' })).toBe(false);
    expect(gitHostEnabled()).toBe(false);
    expect(gitHostPid()).toBeUndefined();
    expect(() => useGitHost({ LANES_GIT_HOST: 'yes' })).toThrow(LanesError);
    expect(() => useGitHost({ LANES_GIT_HOST: 'yes' })).toThrow(/LANES_GIT_HOST must be "on" or "off", not "yes"/);
    expect(gitHostEnabled()).toBe(false);
  });
});

// A parent that opts in, prints its host's pid, then keeps a git command running.
const PARENT_SCRIPT = `
const { useGitHost, gitHostPid } = await import(${JSON.stringify(new URL('../../../dist/git/git-host.js', import.meta.url).href)});
const { runGit } = await import(${JSON.stringify(new URL('../../../dist/git/client.js', import.meta.url).href)});
useGitHost({});
process.stdout.write(gitHostPid() + '\\n');
setInterval(() => {}, 1000);
await runGit(process.argv[1], ['rev-parse', 'HEAD']);
`;

function processGone(pid: number): boolean {
  try {
    // A zombie (exited, not yet reaped) counts as gone.
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.startsWith('Z');
  } catch {
    return true;
  }
}

function childrenOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ').filter(Boolean);
  } catch {
    return [];
  }
}
