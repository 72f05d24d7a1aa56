// The one way Lanes runs git: an execa run with a controlled environment (exec.ts),
// in this process or, in the worker, in the small git host process (git-host.ts); every
// non-zero exit surfaced as a GitCommandError (with its exit code), and one retry past a
// stale index.lock left by a crashed process.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LanesError } from '../errors.js';
import { execGit, gitEnv, type GitIdentity } from './exec.js';
import { gitHostEnabled, runInGitHost } from './git-host.js';
import { indexLockFromError, removeStaleIndexLock } from './index-lock.js';

export type { GitIdentity } from './exec.js';

/** A git command that exited non-zero (or could not start). Local error; activities convert it. */
export class GitCommandError extends LanesError {
  override name = 'GitCommandError';
  constructor(
    readonly dir: string,
    readonly args: readonly string[],
    readonly exitStatus: number,
    readonly stderr: string,
    readonly stdout: string,
    hint?: string,
  ) {
    const output = (stderr.trim() || stdout.trim()).split('\n').slice(0, 6).join(' | ');
    super(
      'runtime',
      `git ${args.join(' ')} failed in ${dir} (exit ${exitStatus}): ${output || 'no output'}`,
      hint ?? 'check the repository state with `git status` in that folder; the step is retried automatically when the cause is transient',
      'infra',
    );
  }
}

export interface RunGitOptions {
  identity?: GitIdentity;
}

async function runOnce(dir: string, args: string[], options: RunGitOptions): Promise<string> {
  if (!existsSync(dir)) {
    throw new GitCommandError(dir, args, -1, `directory ${dir} does not exist`, '', 'the folder was removed; recreate it (prepareWorktree) or check the path');
  }
  // The same filtered env either way: the git host builds it with the same gitEnv from the
  // environment it inherited from this process.
  const outcome = gitHostEnabled() ? await runInGitHost(dir, args, options.identity) : await execGit(dir, args, gitEnv(options.identity));
  switch (outcome.kind) {
    case 'ok':
      return outcome.stdout;
    case 'exit':
      throw new GitCommandError(dir, args, outcome.exitStatus, outcome.stderr, outcome.stdout);
    case 'error':
      throw new GitCommandError(dir, args, -1, outcome.message, '', outcome.hint);
  }
}

/**
 * Runs `git <args>` in `dir` and returns stdout. A stale index.lock (a crashed git left it:
 * old, and no git process is working in that checkout) is removed and the command retried
 * once; a live lock is never touched and the error propagates as retryable `infra`.
 */
export async function runGit(dir: string, args: string[], options: RunGitOptions = {}): Promise<string> {
  try {
    return await runOnce(dir, args, options);
  } catch (err) {
    const lock = err instanceof GitCommandError ? indexLockFromError(err.stderr) : undefined;
    if (lock && (await removeStaleIndexLock(lock, dir))) return runOnce(dir, args, options);
    throw err;
  }
}

/** For predicates answered by exit code: 0 -> true, 1 -> false, anything else throws. */
export async function gitTest(dir: string, args: string[]): Promise<boolean> {
  try {
    await runGit(dir, args);
    return true;
  } catch (err) {
    if (err instanceof GitCommandError && err.exitStatus === 1) return false;
    throw err;
  }
}

/**
 * Starts a read now and hands it over later, for git reads that run side by side: a read that
 * fails is not an unhandled rejection while its caller awaits another; it throws where taken.
 */
export function settleLater<T>(promise: Promise<T>): () => Promise<T> {
  promise.catch(() => undefined);
  return () => promise;
}

/**
 * Calls `fn` with the path of a temp file holding `message`, for `git commit/merge -F`:
 * agent-written text goes through a file, never through argv where it could read as options.
 */
export async function withMessageFile<T>(message: string, fn: (file: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'lanes-msg-'));
  try {
    const file = join(dir, 'MESSAGE');
    await writeFile(file, message, 'utf8');
    return await fn(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
