// Reading refs and history: commit resolution, ancestry, and lane commits by trailer.
import { laneFailure } from '../failures.js';
import { GitCommandError, gitTest, runGit } from './client.js';
import { LANE_LOG_FORMAT, LANE_STEP_TRAILER, type LaneCommit, parseLaneLog } from './trailers.js';

/** Rejects names git would read as options or that are not valid branch names. */
export async function assertBranchName(dir: string, name: string, field: string): Promise<void> {
  if (!(await isValidBranchName(dir, name))) {
    throw laneFailure('validator', `${field} "${name}" is not a valid git branch name`, {
      hint: `use a plain branch name such as "main" or "lanes/<id>" for ${field}`,
    });
  }
}

/** Whether git accepts `name` as a branch name (and it cannot read as an option). */
export async function isValidBranchName(dir: string, name: string): Promise<boolean> {
  if (name.startsWith('-')) return false;
  try {
    return await gitTest(dir, ['check-ref-format', '--branch', name]);
  } catch (err) {
    // With --branch, git refuses a bad name with exit 128 ("fatal: ... is not a valid branch name"), not 1.
    if (err instanceof GitCommandError && err.exitStatus === 128 && /not a valid branch name/.test(err.stderr)) return false;
    throw err;
  }
}

/** The commit sha `rev` names, or null if it names nothing. */
export async function resolveCommit(dir: string, rev: string): Promise<string | null> {
  if (rev.startsWith('-')) return null;
  // One process: --verify --quiet prints the sha, or exits 1 silently when rev names nothing.
  try {
    return (await runGit(dir, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`])).trim() || null;
  } catch (err) {
    if (err instanceof GitCommandError && err.exitStatus === 1) return null;
    throw err;
  }
}

/** The sha of local branch `branch`, or null when the branch does not exist. */
export function branchHead(dir: string, branch: string): Promise<string | null> {
  return resolveCommit(dir, `refs/heads/${branch}`);
}

/**
 * Heads of several local branches in one git process (for-each-ref); a branch that does
 * not exist is absent from the map. Names must be valid branch names (assertBranchName).
 */
export async function branchHeads(dir: string, branches: string[]): Promise<Map<string, string>> {
  const wanted = new Set(branches.map((b) => `refs/heads/${b}`));
  const out = await runGit(dir, ['for-each-ref', '--format=%(objectname) %(refname)', ...wanted]);
  const heads = new Map<string, string>();
  for (const line of out.split('\n')) {
    const space = line.indexOf(' ');
    const ref = line.slice(space + 1);
    // for-each-ref also matches refs below a pattern (refs/heads/main/x): keep exact names only.
    if (space > 0 && wanted.has(ref)) heads.set(ref.slice('refs/heads/'.length), line.slice(0, space));
  }
  return heads;
}

export interface RefState {
  /** The commit the ref points at. */
  sha: string;
  /** That commit's parents. */
  parents: string[];
  /** The checkout (main or linked worktree) that has the ref checked out, or null. */
  worktreePath: string | null;
}

/**
 * Several full refs (`refs/heads/<name>`, ...) in one git process: each head, its commit's
 * parents and the checkout holding it. A ref that does not exist is absent from the map;
 * only exact names are kept (for-each-ref also matches refs below a pattern, or globs), so
 * an unchecked name can never select another ref.
 */
export async function readRefs(dir: string, refs: string[]): Promise<Map<string, RefState>> {
  const wanted = new Set(refs);
  const out = await runGit(dir, ['for-each-ref', '--format=%(refname)%00%(objectname)%00%(parent)%00%(worktreepath)', ...wanted]);
  const found = new Map<string, RefState>();
  for (const line of out.split('\n')) {
    const [ref, sha, parents, worktreePath] = line.split('\0');
    if (ref === undefined || sha === undefined || !wanted.has(ref)) continue;
    found.set(ref, { sha, parents: parents ? parents.split(' ') : [], worktreePath: worktreePath || null });
  }
  return found;
}

/** The full refs a short base name can resolve to (git's order aside), to read with readRefs. */
export function baseRefCandidates(base: string): [string, string, string] {
  return [`refs/heads/${base}`, `refs/tags/${base}`, `refs/${base}`];
}

/**
 * The commit `base` names, from refs already read (readRefs of baseRefCandidates): a base that is
 * a branch and nothing else resolves from the read; anything else (a tag of the same name, a
 * sha, a remote-tracking ref) as git resolves it, in one more process.
 */
export async function resolveBaseFrom(dir: string, base: string, refs: Map<string, RefState>): Promise<string | null> {
  const [head, tag, plain] = baseRefCandidates(base);
  if (refs.has(tag) || refs.has(plain)) return resolveCommit(dir, base);
  return refs.get(head)?.sha ?? (await resolveCommit(dir, base));
}

/** Whether `ancestor` is reachable from `descendant` (a commit is its own ancestor). */
export function isAncestor(dir: string, ancestor: string, descendant: string): Promise<boolean> {
  return gitTest(dir, ['merge-base', '--is-ancestor', ancestor, descendant]);
}

/** The best common ancestor of two commits (one process answers both ancestries: it is `a` when `a` is an ancestor of `b`); null when they share no history. */
export async function mergeBase(dir: string, a: string, b: string): Promise<string | null> {
  try {
    return (await runGit(dir, ['merge-base', a, b])).trim() || null;
  } catch (err) {
    if (err instanceof GitCommandError && err.exitStatus === 1) return null;
    throw err;
  }
}

/** Commits reachable from `rev` (or in a `a..b` range), oldest first, with their lane trailers. */
export async function laneCommitsIn(dir: string, rev: string, grepStep?: string): Promise<LaneCommit[]> {
  const args = ['log', '-z', '--reverse', `--format=${LANE_LOG_FORMAT}`];
  // A fixed-string grep narrows the walk; the exact trailer match happens after parsing.
  if (grepStep !== undefined) args.push('-F', `--grep=${LANE_STEP_TRAILER}: ${grepStep}`);
  args.push(rev, '--');
  return parseLaneLog(await runGit(dir, args));
}

/** The newest commit reachable from `rev` whose trailers are exactly (laneId, step). */
export async function findLaneCommit(dir: string, rev: string, laneId: string, step: string): Promise<string | null> {
  const matches = (await laneCommitsIn(dir, rev, step)).filter((c) => c.laneId === laneId && c.step === step);
  return matches.at(-1)?.sha ?? null;
}
