// Runs one git command with simple-git and returns a plain, serializable outcome. The
// worker calls it in-process or sends the same request to the git host (git-host-main.ts),
// so this module stays small: simple-git and node built-ins only, nothing of Lanes.
import { GitError, simpleGit, type SimpleGit } from 'simple-git';

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

/** The shared simple-git factory: base dir, the given env, every non-zero exit an error. */
export function git(dir: string, env: Record<string, string>): SimpleGit {
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
  }).env(env);
}

/** What one git run came to: its stdout, a non-zero exit, or a failure to run at all. */
export type GitOutcome =
  | { kind: 'ok'; stdout: string }
  | { kind: 'exit'; exitStatus: number; stdout: string; stderr: string }
  | { kind: 'error'; message: string; hint?: string };

/** Runs `git <args>` in `dir` with exactly `env` (already filtered by gitEnv); never throws. */
export async function execGit(dir: string, args: string[], env: Record<string, string>): Promise<GitOutcome> {
  try {
    return { kind: 'ok', stdout: await git(dir, env).raw(args) };
  } catch (err) {
    if (err instanceof GitExit) return { kind: 'exit', exitStatus: err.exitStatus, stdout: err.stdout, stderr: err.stderr };
    return { kind: 'error', message: err instanceof Error ? err.message : String(err) };
  }
}
