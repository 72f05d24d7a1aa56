// Where lane worktrees live, the guard that keeps every activity inside its own lane's
// worktree, and reading git's worktree registry.
import { existsSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { laneFailure } from '../failures.js';
import { runGit } from './client.js';

const LANE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const CANDIDATE_SUFFIX = '.candidate';

/**
 * Lane ids become folder and branch names, so they are restricted to a safe alphabet.
 * `.candidate` is reserved: `<id>.candidate` is lane `<id>`'s landing candidate.
 */
export function assertLaneId(laneId: string): void {
  if (!LANE_ID.test(laneId) || laneId.includes('..') || laneId.endsWith(CANDIDATE_SUFFIX) || laneId.endsWith('.lock')) {
    throw laneFailure('validator', `lane id "${laneId}" cannot name a worktree or branch`, {
      hint: 'use letters, digits, ".", "_" and "-" (at most 128, no "..", not ending in ".candidate" or ".lock")',
    });
  }
}

export function laneWorktreePath(home: string, laneId: string): string {
  return join(resolve(home), 'worktrees', laneId);
}

export function candidateWorktreePath(home: string, laneId: string): string {
  return join(resolve(home), 'worktrees', `${laneId}${CANDIDATE_SUFFIX}`);
}

/** realpath of `path`, resolving through its deepest existing ancestor when it does not exist yet. */
export function canonicalPath(path: string): string {
  const abs = resolve(path);
  if (existsSync(abs)) return realpathSync.native(abs);
  const parent = dirname(abs);
  return parent === abs ? abs : join(canonicalPath(parent), basename(abs));
}

export function samePath(a: string, b: string): boolean {
  return canonicalPath(a) === canonicalPath(b);
}

/**
 * The one worktree guard every host-bound activity runs first: `path` must be exactly this
 * lane's worktree, `${home}/worktrees/${laneId}` (with `allowCandidate`, also its landing
 * candidate `<laneId>.candidate`), compared after realpath so symlinks and `..` cannot
 * point it at another lane or the user's checkout. With `mustExist` the directory must
 * exist too (tools and tests act in it; git's own steps detect a missing one themselves).
 * Returns the canonical path; anything else throws laneFailure('workspace_mismatch').
 */
export function assertLanePath(home: string, laneId: string, path: string, opts: { allowCandidate?: boolean; mustExist?: boolean } = {}): string {
  assertLaneId(laneId);
  // The parent is resolved, the last component is not: a lane path that is itself a
  // symlink (say, to another lane's worktree) then differs from its resolved target.
  const dir = canonicalPath(join(resolve(home), 'worktrees'));
  const allowed = [join(dir, laneId), ...(opts.allowCandidate ? [join(dir, `${laneId}${CANDIDATE_SUFFIX}`)] : [])];
  const actual = canonicalPath(path);
  const missing = opts.mustExist === true && !isDirectory(actual);
  if (!allowed.includes(actual) || missing) {
    throw laneFailure('workspace_mismatch', `lane ${laneId} may only act in ${allowed.join(' or ')}, not ${actual}${missing ? ' (missing)' : ''}`, {
      reason: 'outside_lane',
      expected: allowed.length === 1 ? allowed[0] : allowed,
      actual,
      hint: 'Pass the worktree path recorded in the lane state (prepareWorktree); if it is missing, recreate it from the lane branch.',
    });
  }
  return actual;
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export interface WorktreeEntry {
  path: string;
  head: string | null;
  /** Short branch name (without refs/heads/), null when detached or bare. */
  branch: string | null;
  bare: boolean;
  /** Lock reason ('' when locked without one), null when unlocked. */
  locked: string | null;
  /** Its folder is gone: `git worktree prune` would drop it from the registry. */
  prunable: boolean;
}

/** git's worktree registry for the repository at `repoPath`; the main worktree comes first. */
export async function listWorktrees(repoPath: string): Promise<WorktreeEntry[]> {
  const out = await runGit(repoPath, ['worktree', 'list', '--porcelain']);
  const entries: WorktreeEntry[] = [];
  for (const block of out.split(/\n\n+/)) {
    const lines = block.split('\n').filter(Boolean);
    const path = lines.find((l) => l.startsWith('worktree '))?.slice('worktree '.length);
    if (!path) continue;
    const head = lines.find((l) => l.startsWith('HEAD '))?.slice('HEAD '.length) ?? null;
    const ref = lines.find((l) => l.startsWith('branch '))?.slice('branch '.length);
    const lockLine = lines.find((l) => l === 'locked' || l.startsWith('locked '));
    entries.push({
      path,
      head,
      branch: ref?.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : null,
      bare: lines.includes('bare'),
      locked: lockLine === undefined ? null : lockLine.slice('locked'.length).trim(),
      prunable: lines.some((l) => l === 'prunable' || l.startsWith('prunable ')),
    });
  }
  return entries;
}

/**
 * The registry after dropping entries whose folder is gone (deleted by hand, or a crash):
 * they would block recreating a worktree there. Prunes only when git lists one as
 * prunable, so the common case costs one git process, not two.
 */
export async function listLiveWorktrees(repoPath: string): Promise<WorktreeEntry[]> {
  const entries = await listWorktrees(repoPath);
  if (!entries.some((w) => w.prunable)) return entries;
  await runGit(repoPath, ['worktree', 'prune']);
  return listWorktrees(repoPath);
}

/** The entry of `entries` registered at `path`, if any. */
export function worktreeAt(entries: WorktreeEntry[], path: string): WorktreeEntry | undefined {
  const want = canonicalPath(path);
  return entries.find((w) => canonicalPath(w.path) === want);
}

/** The registered worktree of `repoPath` at `path`, if any. */
export async function findWorktree(repoPath: string, path: string): Promise<WorktreeEntry | undefined> {
  return worktreeAt(await listWorktrees(repoPath), path);
}

/** Paths with uncommitted changes, untracked files included (they are work too); ignored files are not. */
export async function uncommittedPaths(dir: string, options: { untracked?: boolean } = {}): Promise<string[]> {
  const untracked = (options.untracked ?? true) ? 'all' : 'no';
  const records = (await runGit(dir, ['status', '--porcelain=v1', '-z', `--untracked-files=${untracked}`])).split('\0');
  const paths: string[] = [];
  // -z records are "XY path"; a rename or copy is followed by one more record, its source path.
  for (let i = 0; i < records.length; i++) {
    const record = records[i] ?? '';
    if (record.length < 4) continue;
    paths.push(record.slice(3));
    if (record[0] === 'R' || record[0] === 'C') i++;
  }
  return paths;
}

export interface CheckoutState {
  branch: string | null;
  head: string | null;
  dirty: boolean;
  /** Asked for with `ignored`: some path matches an ignore rule (node_modules, build outputs). */
  ignored?: boolean;
  /** Asked for with `ignored`: some change `git add -A` would not turn into exactly a commit (submodule, nested repository, unmerged path). */
  unstageable?: boolean;
}

/**
 * Branch, head and dirtiness of the checkout at `dir` in one git process
 * (`status --porcelain=v2 --branch`): branch null when HEAD is detached, head null
 * before the first commit; dirty counts untracked files (they are work too).
 * With `ignored`, the same process also reports ignored paths (`--ignored=matching`:
 * an ignored directory is one record, git does not walk into it).
 */
export async function checkoutState(dir: string, options: { ignored?: boolean } = {}): Promise<CheckoutState> {
  const args = ['status', '--porcelain=v2', '--branch', '-z', '--untracked-files=all', ...(options.ignored ? ['--ignored=matching'] : [])];
  const records = (await runGit(dir, args)).split('\0');
  const header = (key: string) => records.find((r) => r.startsWith(`# ${key} `))?.slice(key.length + 3);
  const head = header('branch.oid');
  const branch = header('branch.head');
  let dirty = false;
  let ignored = false;
  let unstageable = false;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    if (r.length === 0 || r.startsWith('# ')) continue;
    if (r.startsWith('! ')) {
      ignored = true;
      continue;
    }
    dirty = true;
    // "1 XY sub ..." / "2 XY sub ... path" + a record with the source path; sub is N... unless a submodule.
    const kind = r[0];
    if (kind === '2') i++;
    const plainChange = (kind === '1' || kind === '2') && r.split(' ')[2] === 'N...';
    // An untracked directory record under -uall is a nested repository (git does not descend into it).
    const plainNew = kind === '?' && !r.endsWith('/');
    if (!plainChange && !plainNew) unstageable = true;
  }
  return {
    branch: branch === undefined || branch === '(detached)' ? null : branch,
    head: head === undefined || head === '(initial)' ? null : head,
    dirty,
    ...(options.ignored ? { ignored, unstageable } : {}),
  };
}

/** The git top-level of `dir`, or null when it is not inside a work tree. */
export async function toplevelOf(dir: string): Promise<string | null> {
  try {
    return (await runGit(dir, ['rev-parse', '--show-toplevel'])).trim();
  } catch {
    return null;
  }
}
