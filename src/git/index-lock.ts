// Stale index.lock recovery. git creates `<gitdir>/index.lock` while it rewrites the
// index and deletes it when done; a git process killed mid-command (a worker SIGKILLed
// during `git add`) leaves it behind, and every later command in that checkout fails
// with "Unable to create '.../index.lock': File exists" until someone deletes it. Lanes
// must survive such crashes unattended, so a lock is removed when it is provably stale:
// older than a few seconds AND no live git process is working in that checkout.
// Where liveness cannot be checked (no /proc), the lock is left alone (fail closed).
import { existsSync, readFileSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { stat, unlink } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';

/** A lock younger than this may belong to a git that is just starting up. */
export const STALE_INDEX_LOCK_AGE_MS = 5_000;

const LOCK_ERROR = /Unable to create '([^']*index\.lock)': File exists/;

/** The index.lock path named in git's "File exists" error, if that is the error. */
export function indexLockFromError(stderr: string): string | undefined {
  return LOCK_ERROR.exec(stderr)?.[1];
}

function canonical(path: string): string {
  try {
    return realpathSync.native(path);
  } catch {
    return resolve(path);
  }
}

/** Folders a git process holding this lock would run in: the git dir and its work tree. */
function lockOwners(lockPath: string, ranIn: string): string[] {
  const gitDir = dirname(lockPath);
  const owners = [canonical(gitDir), canonical(ranIn)];
  if (basename(gitDir) === '.git') owners.push(canonical(dirname(gitDir)));
  // A linked worktree's git dir (<common>/worktrees/<name>) records its work tree in `gitdir`.
  const pointer = `${gitDir}/gitdir`;
  if (existsSync(pointer)) owners.push(canonical(dirname(readFileSync(pointer, 'utf8').trim())));
  return owners;
}

/** Whether a git process may be working in one of `dirs`; true when it cannot be known. */
function gitProcessRunningIn(dirs: string[]): boolean {
  if (!existsSync('/proc/self/cwd')) return true;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let comm: string;
    try {
      comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      continue; // exited while we looked
    }
    if (comm !== 'git' && !comm.startsWith('git-')) continue;
    let cwd: string;
    try {
      cwd = readlinkSync(`/proc/${pid}/cwd`);
    } catch (err) {
      // Gone since we read its name (busy hosts run many short gits): it holds nothing.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      return true; // someone else's git we cannot inspect: assume it holds the lock
    }
    if (dirs.some((d) => cwd === d || cwd.startsWith(`${d}/`))) return true;
  }
  return false;
}

/**
 * Removes `lockPath` if it is stale; returns true when the caller should retry (removed,
 * or already gone). `ranIn` is the folder the failing command ran in.
 */
export async function removeStaleIndexLock(lockPath: string, ranIn: string, minAgeMs = STALE_INDEX_LOCK_AGE_MS): Promise<boolean> {
  let mtimeMs: number;
  try {
    mtimeMs = (await stat(lockPath)).mtimeMs;
  } catch {
    return true; // the holder finished in the meantime
  }
  if (Date.now() - mtimeMs < minAgeMs) return false;
  if (gitProcessRunningIn(lockOwners(lockPath, ranIn))) return false;
  try {
    await unlink(lockPath);
  } catch {
    // removed concurrently: retrying is still right
  }
  return true;
}
