// The one way Lanes runs git: a simple-git instance with a controlled environment,
// every non-zero exit surfaced as a GitCommandError (with its exit code), and one
// retry past a stale index.lock left by a crashed process.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitError, simpleGit, type SimpleGit } from 'simple-git';
import { LanesError } from '../errors.js';
import { indexLockFromError, removeStaleIndexLock } from './index-lock.js';

export interface GitIdentity {
  name: string;
  email: string;
}

/** Used for commits when no author is given, so git never depends on a global identity. */
export const DEFAULT_IDENTITY: GitIdentity = { name: 'Lanes', email: 'lanes@localhost' };

/**
 * Every git command Lanes runs has hooks off: `core.hooksPath` points at /dev/null, an
 * always-empty "directory" nobody can add a hook to (a real empty dir could be filled by
 * whoever can write there). A hook the agent managed to plant never runs as the worker.
 */
export const NO_HOOKS_CONFIG = 'core.hooksPath=/dev/null';

/** A git process that prints nothing for this long is killed (simple-git block timeout). */
const GIT_SILENCE_TIMEOUT_MS = 5 * 60_000;

// Inherited variables simple-git refuses to run with (editor, pager, askpass, config-path
// overrides), compared lowercased. Every GIT_* variable is dropped too: a GIT_DIR or
// GIT_INDEX_FILE inherited from a hook that launched the worker would redirect every
// command to another repository.
const DROPPED_ENV = new Set(['editor', 'pager', 'prefix', 'ssh_askpass']);

/** The environment every git child gets: inherited minus redirections, plus identity and C locale. */
export function gitEnv(identity: GitIdentity = DEFAULT_IDENTITY): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    const lower = key.toLowerCase();
    if (value === undefined || lower.startsWith('git') || DROPPED_ENV.has(lower)) continue;
    env[key] = value;
  }
  return {
    ...env,
    // Error text is matched (conflicts, index.lock): keep it in English.
    LC_ALL: 'C',
    GIT_TERMINAL_PROMPT: '0',
    GIT_MERGE_AUTOEDIT: 'no',
    // Explicit identity: commits work on hosts with no user.name/user.email configured.
    GIT_AUTHOR_NAME: identity.name,
    GIT_AUTHOR_EMAIL: identity.email,
    GIT_COMMITTER_NAME: identity.name,
    GIT_COMMITTER_EMAIL: identity.email,
  };
}

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

/**
 * Carries the raw result out of simple-git's error plugin; runGit turns it into a
 * GitCommandError. A GitError subclass because simple-git re-wraps any other error type.
 */
class GitExit extends GitError {
  constructor(
    readonly exitStatus: number,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(undefined, `git exited ${exitStatus}`);
  }
}

/** The shared simple-git factory: base dir, sanitized env, identity, every non-zero exit an error. */
export function git(dir: string, identity?: GitIdentity): SimpleGit {
  return simpleGit({
    baseDir: dir,
    timeout: { block: GIT_SILENCE_TIMEOUT_MS },
    config: [NO_HOOKS_CONFIG],
    // simple-git refuses any core.hooksPath unless allowed; ours disables hooks, it cannot enable one.
    unsafe: { allowUnsafeHooksPath: true },
    // Done means stdout and stderr are closed, not "exited 50 ms ago" (simple-git's default):
    // on a loaded host a git's output can arrive after that, and a truncated `rev-parse` read
    // as "no such branch" or "not a worktree" failed lanes (steveukx/git-js#608).
    completion: { onClose: true, onExit: false },
    // simple-git only rejects when a failing command also printed to stderr; exit codes
    // carry meaning here (merge-base --is-ancestor, rev-parse --verify), so keep them all.
    errors: (error, result) =>
      result.exitCode === 0
        ? error
        : new GitExit(result.exitCode, Buffer.concat(result.stdOut).toString('utf8'), Buffer.concat(result.stdErr).toString('utf8')),
  }).env(gitEnv(identity));
}

export interface RunGitOptions {
  identity?: GitIdentity;
}

async function runOnce(dir: string, args: string[], options: RunGitOptions): Promise<string> {
  if (!existsSync(dir)) {
    throw new GitCommandError(dir, args, -1, `directory ${dir} does not exist`, '', 'the folder was removed; recreate it (prepareWorktree) or check the path');
  }
  try {
    return await git(dir, options.identity).raw(args);
  } catch (err) {
    if (err instanceof GitExit) throw new GitCommandError(dir, args, err.exitStatus, err.stderr, err.stdout);
    const message = err instanceof Error ? err.message : String(err);
    throw new GitCommandError(dir, args, -1, message, '');
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
