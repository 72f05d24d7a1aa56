// A host's cached mirror of a remote repository (packet `repo.url`): a bare repository under
// $LANES_HOME/mirrors that lane worktrees are created from. Remote branches are fetched into
// refs/remotes/origin/*; the base and target branches are then set from them (the remote is
// the truth), while lane branches are local and only ever fast-forwarded from the remote.
// One lock per mirror (in this process and across processes on the host) keeps concurrent
// lanes from fetching, pushing or rewriting refs in it at the same time.
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { laneFailure } from '../failures.js';
import { GitCommandError, runGit } from './client.js';
import { branchHead, isAncestor, resolveCommit } from './refs.js';
import { redactUrls, remoteUrlProblem } from '../shared/repo-url.js';
import { mirrorPathFor } from './remote-url.js';
import { canonicalPath, listWorktrees } from './worktrees.js';
import { isAlive } from '../shell/processes.js';
import { serialByKey } from '../serial-by-key.js';

/** A lock file older than this is taken over even when its owner looks alive (a fetch never takes this long). */
const LOCK_STALE_MS = 10 * 60_000;
const LOCK_POLL_MS = 50;

/** In this process, one holder of each mirror's lock at a time, in call order. */
const inProcess = serialByKey();

async function acquireFileLock(file: string): Promise<() => Promise<void>> {
  await mkdir(dirname(file), { recursive: true });
  for (;;) {
    try {
      const h = await open(file, 'wx');
      await h.writeFile(String(process.pid));
      await h.close();
      return () => rm(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    // Held: by a live process (wait), or left by a dead one (take it over).
    const [owner, info] = await Promise.all([readFile(file, 'utf8').catch(() => ''), stat(file).catch(() => null)]);
    const pid = Number(owner);
    const stale = info !== null && (Date.now() - info.mtimeMs > LOCK_STALE_MS || (Number.isInteger(pid) && pid > 0 && pid !== process.pid && !isAlive(pid)));
    if (stale) await rm(file, { force: true });
    else await new Promise((r) => setTimeout(r, LOCK_POLL_MS));
  }
}

/** Runs `fn` holding the mirror's lock: one fetch, push or ref sync in a mirror at a time. */
export async function withMirrorLock<T>(mirror: string, fn: () => Promise<T>): Promise<T> {
  return inProcess(mirror, async () => {
    const release = await acquireFileLock(`${mirror}.lock`);
    try {
      return await fn();
    } finally {
      await release();
    }
  });
}

/** A git command against the remote; its errors never carry userinfo and read as the remote's fault. */
export async function remoteGit(mirror: string, args: string[]): Promise<string> {
  try {
    return await runGit(mirror, args);
  } catch (err) {
    if (err instanceof GitCommandError) {
      throw new GitCommandError(
        err.dir,
        err.args.map(redactUrls),
        err.exitStatus,
        redactUrls(err.stderr),
        redactUrls(err.stdout),
        'check that this host reaches the remote and that its git credentials (credential helper, ssh agent) allow fetch and push; the step is retried automatically',
      );
    }
    throw err;
  }
}

/** Creates the mirror on first use (bare, remote `origin`, remote-tracking refs). */
export async function ensureMirror(home: string, url: string): Promise<string> {
  const problem = remoteUrlProblem(url);
  if (problem) throw laneFailure('validator', `repo.url ${redactUrls(url)} ${problem}`, { hint: 'set repo.url to a clone URL; credentials belong in the host git config (credential helper, ssh agent)' });
  // Canonical: the path is the lock's key, whichever symlinked spelling of $LANES_HOME came in.
  const mirror = canonicalPath(mirrorPathFor(home, url));
  const ready = join(mirror, 'lanes-mirror');
  if (existsSync(ready)) return mirror;
  await withMirrorLock(mirror, async () => {
    if (existsSync(ready)) return;
    await mkdir(mirror, { recursive: true });
    await runGit(mirror, ['init', '--bare', '--quiet']);
    await runGit(mirror, ['config', 'remote.origin.url', url]);
    await runGit(mirror, ['config', 'remote.origin.fetch', '+refs/heads/*:refs/remotes/origin/*']);
    // The mirror never runs maintenance in the background of a lane step.
    await runGit(mirror, ['config', 'gc.autoDetach', 'false']);
    // Written last: a half-initialised mirror (a crash above) is initialised again.
    await writeFile(ready, `${redactUrls(url)}\n`);
  });
  return mirror;
}

export interface SyncMirrorInput {
  /** Branches the remote owns (base, target): set to the remote's value. */
  branches: string[];
  /** The lane branch: created from the remote when absent here, fast-forwarded when not checked out. */
  laneBranch?: string;
}

/** Fetches the remote and brings the named local branches up to it. Call under withMirrorLock. */
export async function syncMirror(mirror: string, { branches, laneBranch }: SyncMirrorInput): Promise<void> {
  await remoteGit(mirror, ['fetch', '--prune', '--quiet', 'origin']);
  for (const b of new Set(branches)) {
    const remote = await resolveCommit(mirror, `refs/remotes/origin/${b}`);
    if (remote && remote !== (await branchHead(mirror, b))) await runGit(mirror, ['update-ref', `refs/heads/${b}`, remote]);
  }
  if (laneBranch && !branches.includes(laneBranch)) {
    const remote = await resolveCommit(mirror, `refs/remotes/origin/${laneBranch}`);
    if (!remote) return;
    const local = await branchHead(mirror, laneBranch);
    // A checked-out lane branch is ahead of (or equal to) what it pushed: the worktree is the truth.
    const checkedOut = (await listWorktrees(mirror)).some((w) => w.branch === laneBranch);
    if (!local || (!checkedOut && local !== remote && (await isAncestor(mirror, local, remote)))) {
      await runGit(mirror, ['update-ref', `refs/heads/${laneBranch}`, remote]);
    }
  }
}

/** The mirror of `url` on this host, created and fetched, with `sync`'s branches current. */
export async function freshMirror(home: string, url: string, sync: SyncMirrorInput): Promise<string> {
  const mirror = await ensureMirror(home, url);
  await withMirrorLock(mirror, () => syncMirror(mirror, sync));
  return mirror;
}

/**
 * Pushes the lane branch so another host can re-home the lane from the remote. Lease on the
 * value this mirror last saw there: a lane branch moved by someone else is never overwritten.
 */
export async function pushLaneBranch(mirror: string, branch: string): Promise<void> {
  await withMirrorLock(mirror, async () => {
    const local = await branchHead(mirror, branch);
    if (!local) return;
    const seen = (await resolveCommit(mirror, `refs/remotes/origin/${branch}`)) ?? '';
    if (seen === local) return;
    await remoteGit(mirror, ['push', '--quiet', '--no-verify', `--force-with-lease=refs/heads/${branch}:${seen}`, 'origin', `refs/heads/${branch}:refs/heads/${branch}`]);
  });
}

/** The mirror a lane worktree belongs to, when it is one of this host's mirrors. */
export async function mirrorOfWorktree(home: string, worktreePath: string): Promise<string | null> {
  if (!existsSync(worktreePath)) return null;
  let common: string;
  try {
    common = canonicalPath((await runGit(worktreePath, ['rev-parse', '--path-format=absolute', '--git-common-dir'])).trim());
  } catch {
    // Not a git tree: the step itself refuses it with the lane's own error.
    return null;
  }
  return dirname(common) === canonicalPath(dirname(mirrorPathFor(home, 'x'))) ? common : null;
}
