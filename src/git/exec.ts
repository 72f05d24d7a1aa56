// Runs one git command with execa and returns a plain, serializable outcome. The worker
// calls it in-process or sends the same request to the git host (git-host-main.ts), so
// this module stays small: execa and node built-ins only, nothing of Lanes.
//
// Not simple-git: its completion detection waits a fixed 50 ms more for every command that
// prints nothing (`add -A`, `diff --quiet`, `merge-base --is-ancestor`, `config` writes,
// `worktree remove`...), by design (steveukx/git-js#680). A lane runs about a dozen such
// commands one after another: ~0.6 s of its ~1.7 s (docs/performance.md). execa waits
// for the process to exit and its output streams to close, and for nothing else.
import { execa } from 'execa';

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

/**
 * A git command that runs this long is killed (SIGTERM, then SIGKILL 5 s later). Lanes
 * runs git without a terminal, so a long fetch or clone prints nothing until it ends:
 * this bounds the whole command.
 */
const GIT_TIMEOUT_MS = 5 * 60_000;

// Inherited variables that make git run another program (editor, pager, askpass) or look
// elsewhere (prefix), compared lowercased. Every GIT_* variable is dropped too: a GIT_DIR or
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

/** What one git run came to: its stdout, a non-zero exit, or a failure to run at all. */
export type GitOutcome =
  | { kind: 'ok'; stdout: string }
  | { kind: 'exit'; exitStatus: number; stdout: string; stderr: string }
  | { kind: 'error'; message: string; hint?: string };

/** Runs `git <args>` in `dir` with exactly `env` (already filtered by gitEnv); never throws. */
export async function execGit(dir: string, args: string[], env: Record<string, string>): Promise<GitOutcome> {
  const r = await execa('git', ['-c', NO_HOOKS_CONFIG, ...args], {
    cwd: dir,
    env,
    extendEnv: false,
    // Nothing reads a terminal or stdin: a git that asks must fail, not wait.
    stdin: 'ignore',
    // Output is returned exactly as git printed it; callers trim where they mean to.
    stripFinalNewline: false,
    timeout: GIT_TIMEOUT_MS,
    reject: false,
  });
  if (r.exitCode === 0 && !r.failed) return { kind: 'ok', stdout: r.stdout };
  // Exited non-zero on its own: the exit code carries meaning (merge-base --is-ancestor, rev-parse --verify).
  if (r.exitCode !== undefined && !r.timedOut && !r.isCanceled) return { kind: 'exit', exitStatus: r.exitCode, stdout: r.stdout, stderr: r.stderr };
  if (r.timedOut) return { kind: 'error', message: `git ${args.join(' ')} ran longer than ${GIT_TIMEOUT_MS / 60_000} min and was killed`, hint: 'check the repository (a huge fetch or a stuck network remote); the step is retried' };
  const missing = (r.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
  return missing
    ? { kind: 'error', message: `git could not be started: ${r.shortMessage ?? 'ENOENT'}`, hint: 'install git and make sure it is on the PATH of the Lanes worker' }
    : { kind: 'error', message: r.shortMessage ?? `git ${args.join(' ')} failed` };
}
