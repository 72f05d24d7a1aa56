// Work on a lane branch inside its worktree: checkpoint commits, freshness against the
// base, and merging the base forward. Each commit carries (Lane-Id, Lane-Step) trailers,
// which is how a retried step finds what it already did.
import { ApplicationFailure } from '@temporalio/common';
import { laneFailure } from '../failures.js';
import { type GitIdentity, gitTest, runGit, withMessageFile } from './client.js';
import { mergeOrAbort } from './merge.js';
import { inWriteManifest } from '../tools/write-manifest.js';
import { assertWorkspace, type WorkspaceState } from './lane-worktree.js';
import { findLaneCommit, isAncestor, laneCommitsIn, resolveCommit } from './refs.js';
import { type LaneCommit, mergeForwardStep, withLaneTrailers } from './trailers.js';

function assertIdentity(author: GitIdentity): void {
  if (!author?.name?.trim() || !author?.email?.trim()) {
    throw laneFailure('validator', 'commit author needs a non-empty name and email', { hint: 'set commit.author in the task packet' });
  }
}

async function onLaneBranch(home: string, laneId: string, worktreePath: string): Promise<WorkspaceState & { branch: string }> {
  // Ignored paths too (same process): whether the checkout is then exactly its HEAD (CheckoutAfter).
  const ws = await assertWorkspace(home, { laneId, worktreePath }, { ignored: true });
  if (ws.branch === null) {
    throw laneFailure('workspace_mismatch', `worktree ${ws.worktreePath} has a detached HEAD, not the lane branch`, {
      reason: 'detached',
      hint: 'check the lane branch out again (prepareWorktree recreates the worktree on it)',
    });
  }
  return { ...ws, branch: ws.branch };
}

export interface CommitWorkInput {
  laneId: string;
  step: string;
  worktreePath: string;
  message: string;
  author: GitIdentity;
}

/**
 * The worktree right after a step that wrote it: its HEAD, and whether it then held exactly
 * HEAD's tree (no modified, untracked or ignored path). Read from the status the step already
 * runs; what decides whether a green run there may stand for the merge candidate (land.ts).
 */
export interface CheckoutAfter {
  head: string;
  clean: boolean;
}

export interface CommitWorkResult {
  sha: string | null;
  created: boolean;
  checkout?: CheckoutAfter;
}

/** The checkout after a step, from the status taken before it: `committed` = everything in it was just committed. */
function checkoutAfter(ws: WorkspaceState, head: string, committed: boolean): CheckoutAfter {
  const untouched = !ws.dirty || (committed && ws.unstageable === false);
  return { head, clean: untouched && ws.ignored === false };
}

export async function commitWork(home: string, input: CommitWorkInput): Promise<CommitWorkResult> {
  const { laneId, step, message, author } = input;
  if (!step.trim() || /[\n\r]/.test(step)) {
    throw laneFailure('validator', `commit step "${step}" must be a non-empty single line`, { hint: 'pass the workflow step name as step' });
  }
  assertIdentity(author);
  const ws = await onLaneBranch(home, laneId, input.worktreePath);
  const done = await findLaneCommit(ws.worktreePath, 'HEAD', laneId, step);
  if (done) return { sha: done, created: false, checkout: checkoutAfter(ws, ws.head, false) };
  // A clean checkout (status counts untracked files) has nothing to stage.
  if (!ws.dirty) return { sha: null, created: false, checkout: checkoutAfter(ws, ws.head, false) };

  await runGit(ws.worktreePath, ['add', '-A']);
  // Dirty, yet nothing staged: what is there is not plain work (checkoutAfter: not clean).
  if (await gitTest(ws.worktreePath, ['diff', '--cached', '--quiet'])) return { sha: null, created: false, checkout: checkoutAfter(ws, ws.head, false) };
  // --no-verify: a checkpoint must always succeed so no work lives only in the folder;
  // quality is judged by the acceptance tests, not by the repository's commit hooks.
  await withMessageFile(withLaneTrailers(message, laneId, step), (file) =>
    runGit(ws.worktreePath, ['commit', '--no-verify', '--cleanup=whitespace', '-F', file], { identity: author }),
  );
  const sha = (await runGit(ws.worktreePath, ['rev-parse', 'HEAD'])).trim();
  return { sha, created: true, checkout: checkoutAfter(ws, sha, true) };
}

export interface BranchStatusInput {
  laneId: string;
  worktreePath: string;
  base: string;
}

export interface BranchStatusResult {
  /** Commits on the lane branch that the base lacks. */
  ahead: number;
  /** Commits on the base that the lane branch lacks (> 0: stale). */
  behind: number;
  laneHead: string;
  baseHead: string;
}

export async function branchStatus(home: string, { laneId, worktreePath, base }: BranchStatusInput): Promise<BranchStatusResult> {
  const ws = await assertWorkspace(home, { laneId, worktreePath });
  try {
    const baseHead = await resolveCommit(ws.worktreePath, base);
    if (!baseHead) throw laneFailure('infra', `base "${base}" does not resolve to a commit in ${ws.worktreePath}`, { hint: 'check the base branch still exists' });
    const counts = (await runGit(ws.worktreePath, ['rev-list', '--left-right', '--count', `${baseHead}...${ws.head}`])).trim();
    const match = /^(\d+)\s+(\d+)$/.exec(counts);
    if (!match) throw laneFailure('infra', `unexpected rev-list output "${counts}" in ${ws.worktreePath}`);
    return { behind: Number(match[1]), ahead: Number(match[2]), laneHead: ws.head, baseHead };
  } catch (err) {
    if (err instanceof ApplicationFailure) throw err;
    // Unknown freshness is never "fresh": fail closed, retryably.
    throw laneFailure('infra', `cannot determine freshness of lane ${laneId} against ${base}: ${err instanceof Error ? err.message : String(err)}`, {
      hint: 'the step is retried; if it keeps failing, inspect the repository with `git status`',
    });
  }
}

export interface MergeForwardInput {
  laneId: string;
  worktreePath: string;
  base: string;
  author: GitIdentity;
}

export interface MergeForwardResult {
  merged: boolean;
  sha?: string;
  conflict: boolean;
  conflictFiles?: string[];
  /** mergeForward, merged: the worktree after the merge (CheckoutAfter). */
  checkout?: CheckoutAfter;
}

export async function mergeForward(home: string, input: MergeForwardInput): Promise<MergeForwardResult> {
  const { laneId, base, author } = input;
  assertIdentity(author);
  const ws = await onLaneBranch(home, laneId, input.worktreePath);
  const baseHead = await resolveCommit(ws.worktreePath, base);
  if (!baseHead) {
    throw laneFailure('infra', `base "${base}" does not resolve to a commit in ${ws.worktreePath}`, { hint: 'check the base branch still exists' });
  }
  const step = mergeForwardStep(baseHead);
  const done = await findLaneCommit(ws.worktreePath, 'HEAD', laneId, step);
  if (done) return { merged: true, sha: done, conflict: false, checkout: checkoutAfter(ws, ws.head, false) };
  if (await isAncestor(ws.worktreePath, baseHead, 'HEAD')) return { merged: false, conflict: false };
  if (ws.dirty) {
    // An aborted merge cannot give back uncommitted edits it touched; checkpoint first.
    throw laneFailure('workspace_mismatch', `worktree ${ws.worktreePath} has uncommitted changes; refusing to merge ${base} into it`, {
      reason: 'dirty',
      hint: 'checkpoint with commitWork before merging forward',
    });
  }
  const message = withLaneTrailers(`Merge ${base} (${baseHead.slice(0, 12)}) into ${ws.branch}`, laneId, step);
  // --no-ff: the merge commit is the step's durable record, even when a fast-forward would do.
  const conflicts = await mergeOrAbort(
    ws.worktreePath,
    () => withMessageFile(message, (file) => runGit(ws.worktreePath, ['merge', '--no-ff', '--no-verify', '-F', file, baseHead], { identity: author })),
    ['merge', '--abort'],
  );
  if (conflicts) return { merged: false, conflict: true, conflictFiles: conflicts };
  // The worktree was clean of changes (checked above): after the merge it is HEAD, plus any ignored paths.
  const sha = (await runGit(ws.worktreePath, ['rev-parse', 'HEAD'])).trim();
  return { merged: true, sha, conflict: false, checkout: checkoutAfter(ws, sha, false) };
}

/**
 * Rebases the lane branch onto `base` (the packet's `rebase` staleness policy).
 * Commit messages keep their Lane trailers, so checkpoint lookups still find them.
 * Idempotent: a branch already containing base is left alone.
 */
export async function rebaseOntoBase(home: string, input: MergeForwardInput): Promise<MergeForwardResult> {
  const { laneId, base, author } = input;
  assertIdentity(author);
  const ws = await onLaneBranch(home, laneId, input.worktreePath);
  const baseHead = await resolveCommit(ws.worktreePath, base);
  if (!baseHead) throw laneFailure('infra', `base "${base}" does not resolve to a commit in ${ws.worktreePath}`, { hint: 'check the base branch still exists' });
  if (await isAncestor(ws.worktreePath, baseHead, 'HEAD')) return { merged: false, conflict: false };
  if (ws.dirty) {
    throw laneFailure('workspace_mismatch', `worktree ${ws.worktreePath} has uncommitted changes; refusing to rebase it onto ${base}`, { reason: 'dirty', hint: 'checkpoint with commitWork first' });
  }
  const conflicts = await mergeOrAbort(ws.worktreePath, () => runGit(ws.worktreePath, ['rebase', '--no-verify', baseHead], { identity: author }), ['rebase', '--abort']);
  if (conflicts) return { merged: false, conflict: true, conflictFiles: conflicts };
  return { merged: true, sha: (await runGit(ws.worktreePath, ['rev-parse', 'HEAD'])).trim(), conflict: false };
}

export interface ScopeCheckInput {
  laneId: string;
  worktreePath: string;
  base: string;
  /** Globs relative to the repo root; every changed file must match one. */
  writeManifest: readonly string[];
}

/**
 * The lane's diff against its base (since their merge base, so merged-forward
 * base changes do not count) and the files in it outside the write manifest —
 * including files written by bash, which the file tools' manifest check cannot see.
 */
export async function scopeCheck(home: string, input: ScopeCheckInput): Promise<{ changed: string[]; outside: string[] }> {
  const ws = await assertWorkspace(home, { laneId: input.laneId, worktreePath: input.worktreePath });
  const out = await runGit(ws.worktreePath, ['diff', '--name-only', '--no-renames', '-z', `${input.base}...HEAD`]);
  const changed = out.split('\0').filter(Boolean);
  return { changed, outside: changed.filter((f) => !inWriteManifest(f, input.writeManifest)) };
}

export interface LaneCommitsInput {
  repoPath: string;
  branch: string;
  base: string;
}

/** Commits on `branch` not on `base`, oldest first, with their lane trailers (null when absent). */
export async function laneCommits({ repoPath, branch, base }: LaneCommitsInput): Promise<LaneCommit[]> {
  const [tip, baseHead] = await Promise.all([resolveCommit(repoPath, `refs/heads/${branch}`), resolveCommit(repoPath, base)]);
  if (!tip || !baseHead) {
    throw laneFailure('validator', `cannot list lane commits: ${!tip ? `branch "${branch}"` : `base "${base}"`} does not exist in ${repoPath}`, {
      hint: 'check the lane branch and base names',
    });
  }
  return laneCommitsIn(repoPath, `${baseHead}..${tip}`);
}
