// Landing a lane (DESIGN.md §3): the land commit of target and lane written with plumbing
// (land-commit.ts), checked out once as a candidate branch for the caller to test, then the
// target moved only by fast-forward and only if it has not moved since. Every step is safe to retry.
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { laneFailure } from '../failures.js';
import { GitCommandError, type GitIdentity, gitTest, runGit, settleLater } from './client.js';
import { type CandidateReuseFacts, readTrees, reusedCandidate } from './candidate-reuse.js';
import { candidateCommit } from './land-commit.js';
import { assertBranchName, branchHead, branchHeads, findLaneCommit, isAncestor, laneCommitsIn, mergeBase, readRefs } from './refs.js';
import { LAND_STEP, type LaneCommit, withLaneTrailers } from './trailers.js';
import { assertLaneId, candidateWorktreePath, listLiveWorktrees, uncommittedPaths, worktreeAt, type WorktreeEntry } from './worktrees.js';

export type LandingMode = 'merge' | 'squash' | 'ff_only';

export function candidateBranchName(laneId: string): string {
  return `lanes-candidate/${laneId}`;
}

function missingBranch(repoPath: string, branch: string, field: string): never {
  throw laneFailure('validator', `${field} branch "${branch}" does not exist in ${repoPath}`, {
    hint: `create the branch or correct ${field} in the task packet`,
  });
}

async function requireBranch(repoPath: string, branch: string, field: string): Promise<string> {
  await assertBranchName(repoPath, branch, field);
  return (await branchHead(repoPath, branch)) ?? missingBranch(repoPath, branch, field);
}

export interface IsLandedInput {
  laneId: string;
  repoPath: string;
  target: string;
  /** Lane branch; when given, a target that already contains its head counts as landed. */
  branch?: string;
}

export interface IsLandedResult {
  landed: boolean;
  /** The commit on target with trailers (laneId, land), when that is how it landed. */
  landCommit: string | null;
  /** How the landing was recognised. */
  via: 'land_commit' | 'contains_lane_head' | null;
}

/** Heads the caller already read (null: no such branch), so they are not read twice. */
interface KnownHeads {
  targetHead?: string;
  laneHead?: string | null;
  /** Whether the lane head is an ancestor of the target head, when already known. */
  laneInTarget?: boolean;
  /** This lane's land commit in the target (null: none), when already read. */
  landCommit?: string | null;
}

export async function isLanded({ laneId, repoPath, target, branch }: IsLandedInput, known: KnownHeads = {}): Promise<IsLandedResult> {
  const targetHead = known.targetHead ?? (await requireBranch(repoPath, target, 'target'));
  const landCommit = known.landCommit !== undefined ? known.landCommit : await findLaneCommit(repoPath, targetHead, laneId, LAND_STEP);
  if (landCommit) return { landed: true, landCommit, via: 'land_commit' };
  if (branch !== undefined) {
    const laneHead = known.laneHead !== undefined ? known.laneHead : await branchHead(repoPath, branch);
    const contained = known.laneInTarget ?? (laneHead !== null && (await isAncestor(repoPath, laneHead, targetHead)));
    if (laneHead && contained) return { landed: true, landCommit: null, via: 'contains_lane_head' };
  }
  return { landed: false, landCommit: null, via: null };
}

export interface RemoveCandidateInput {
  laneId: string;
  repoPath: string;
}

/** What the caller already read, so removing the candidate need not read it again. */
interface KnownRepoState {
  /** The live worktree registry (listLiveWorktrees). */
  worktrees?: WorktreeEntry[];
  /** The candidate branch head (null: no such branch). */
  candidateHead?: string | null;
}

export async function removeCandidate(home: string, { laneId, repoPath }: RemoveCandidateInput, known: KnownRepoState = {}): Promise<{ removed: boolean }> {
  assertLaneId(laneId);
  const path = candidateWorktreePath(home, laneId);
  const branch = candidateBranchName(laneId);
  let removed = false;
  if (worktreeAt(known.worktrees ?? (await listLiveWorktrees(repoPath)), path)) {
    // The candidate is disposable (built from refs, only tests ran in it): force is safe here.
    await runGit(repoPath, ['worktree', 'remove', '--force', '--force', path]);
    removed = true;
  }
  if (existsSync(path)) {
    // `<laneId>.candidate` under $LANES_HOME/worktrees is reserved for this lane's candidate.
    await rm(path, { recursive: true, force: true });
    removed = true;
  }
  const head = known.candidateHead !== undefined ? known.candidateHead : await branchHead(repoPath, branch);
  if (head) {
    await runGit(repoPath, ['branch', '-D', branch]);
    removed = true;
  }
  return { removed };
}

export interface PrepareCandidateInput {
  laneId: string;
  repoPath: string;
  /** Lane branch. */
  branch: string;
  /** Target branch (local). */
  target: string;
  mode: LandingMode;
  /** Message of the land commit (merge, squash); trailers are appended. */
  message: string;
  author: GitIdentity;
  /**
   * The commit whose clean checkout the worktree tests ran green on: when the target has nothing the
   * lane lacks and the lane head's tree is that commit's, the candidate is written with plumbing
   * (candidate-reuse.ts) and no worktree is made; otherwise it is built as always.
   */
  reuse?: { testedHead: string };
}

export interface PrepareCandidateResult {
  candidatePath: string;
  candidateBranch: string;
  candidateHead: string;
  targetHead: string;
  alreadyLanded: boolean;
  conflict: boolean;
  conflictFiles?: string[];
  /** Asked to reuse: what the host read, and whether the candidate was written without a worktree (nothing to test). */
  reuse?: CandidateReuseFacts & { reused: boolean; laneHead: string };
}

export async function prepareCandidate(home: string, input: PrepareCandidateInput): Promise<PrepareCandidateResult> {
  const { laneId, repoPath, branch, target, mode, author } = input;
  assertLaneId(laneId);
  if (mode !== 'merge' && mode !== 'squash' && mode !== 'ff_only') {
    throw laneFailure('validator', `landing mode "${String(mode)}" is not one of merge, squash, ff_only`, { hint: 'set merge.mode in the task packet' });
  }
  const candidatePath = candidateWorktreePath(home, laneId);
  const candidateBranch = candidateBranchName(laneId);
  // The name checks (git's rules) and the heads (one process) side by side; their errors still come in this order.
  const namesRead = [settleLater(assertBranchName(repoPath, target, 'target')), settleLater(assertBranchName(repoPath, branch, 'branch'))];
  const headsRead = settleLater(branchHeads(repoPath, [target, branch, candidateBranch]));
  for (const nameRead of namesRead) await nameRead();
  const heads = await headsRead();
  const targetHead = heads.get(target) ?? missingBranch(repoPath, target, 'target');
  const laneHead = heads.get(branch) ?? missingBranch(repoPath, branch, 'branch');
  const base = { candidatePath, candidateBranch, targetHead };

  // Then, side by side: one merge-base answers both ancestries (lane already in target, target
  // already in lane), this lane's land commit in the target, and the trees a reuse compares. A
  // candidate that will be tested has its land commit written beside them (plumbing only: for a
  // lane found landed, or an ff_only refusal, it is an unreferenced object and its errors are dropped).
  const message = withLaneTrailers(input.message || `Land lane ${laneId}: ${branch} into ${target}`, laneId, LAND_STEP);
  const commitInput = { repoPath, mode, targetHead, laneHead, message, author };
  const commitRead = input.reuse ? null : settleLater(candidateCommit(commitInput));
  const forkRead = settleLater(mergeBase(repoPath, targetHead, laneHead));
  const landCommitRead = settleLater(findLaneCommit(repoPath, targetHead, laneId, LAND_STEP));
  const treesRead = input.reuse ? settleLater(readTrees(repoPath, laneHead, input.reuse.testedHead, targetHead)) : null;
  const fork = await forkRead();
  const targetInLane = fork === targetHead;
  if ((await isLanded({ laneId, repoPath, target, branch }, { targetHead, laneHead, laneInTarget: fork === laneHead, landCommit: await landCommitRead() })).landed) {
    return { ...base, candidateHead: targetHead, alreadyLanded: true, conflict: false };
  }
  if (mode === 'ff_only' && !targetInLane) {
    throw laneFailure('branch_divergence', `lane branch ${branch} does not descend from ${target} (${targetHead.slice(0, 12)}); ff_only cannot land it`, {
      hint: 'merge the target forward into the lane branch (or rebase it), test again, then land',
      targetHead,
      laneHead,
    });
  }

  let reuse: PrepareCandidateResult['reuse'];
  if (input.reuse) {
    const r = await reusedCandidate({ repoPath, mode, targetHead, laneHead, testedHead: input.reuse.testedHead, message, author, targetInLane, trees: await treesRead!() });
    reuse = { ...r.facts, reused: r.candidateHead !== null, laneHead };
    // No worktree, no branch: closeout removes any candidate an earlier attempt left.
    if (r.candidateHead) return { ...base, candidateHead: r.candidateHead, alreadyLanded: false, conflict: false, reuse };
  }

  // The commit first, in the object store: a conflict then leaves no checkout behind. Beside it, a
  // candidate an earlier attempt left goes (only then is the worktree registry read).
  const staleHead = heads.get(candidateBranch) ?? null;
  const stale = staleHead !== null || existsSync(candidatePath);
  const removal = stale ? settleLater(removeCandidate(home, { laneId, repoPath }, { candidateHead: staleHead })) : null;
  const built = await (commitRead ?? (() => candidateCommit(commitInput)))();
  await removal?.();
  if ('conflicts' in built) return { ...base, candidateHead: targetHead, alreadyLanded: false, conflict: true, conflictFiles: built.conflicts, ...(reuse ? { reuse } : {}) };
  // Then one checkout of exactly that commit, where the candidate's tests run.
  await checkoutCandidate(home, { laneId, repoPath }, built.head, !stale);
  return { ...base, candidateHead: built.head, alreadyLanded: false, conflict: false, ...(reuse ? { reuse } : {}) };
}

/**
 * `lanes-candidate/<laneId>` at `head`, checked out in the candidate worktree. `unchecked`: the
 * removal was skipped because neither the branch nor the folder existed; a worktree git still
 * has registered there (its folder deleted by hand) makes the add fail, and is removed first.
 */
async function checkoutCandidate(home: string, { laneId, repoPath }: RemoveCandidateInput, head: string, unchecked: boolean): Promise<void> {
  const path = candidateWorktreePath(home, laneId);
  const add = () => runGit(repoPath, ['worktree', 'add', '-B', candidateBranchName(laneId), path, head]);
  await mkdir(dirname(path), { recursive: true });
  try {
    await add();
  } catch (err) {
    if (!unchecked || !(err instanceof GitCommandError)) throw err;
    await removeCandidate(home, { laneId, repoPath });
    await add();
  }
}

export interface AdvanceTargetInput {
  laneId: string;
  repoPath: string;
  target: string;
  candidateHead: string;
  expectedTargetHead: string;
}

export interface AdvanceTargetResult {
  landed: boolean;
  targetHead: string;
  /** landed: the commits the landing brought (expectedTargetHead..candidateHead), oldest first. */
  landedCommits?: LaneCommit[];
  reason?: 'target_moved' | 'target_dirty';
  dirtyPaths?: string[];
  /** target_dirty: the checkout of the target whose changes stop the fast-forward. */
  checkoutPath?: string;
}

/** Whether target head `head` already holds the lane's landing (this candidate, or its land commit). */
export async function candidateLandedIn(repoPath: string, laneId: string, candidateHead: string, head: string): Promise<boolean> {
  return (
    head === candidateHead ||
    (await findLaneCommit(repoPath, head, laneId, LAND_STEP)) !== null ||
    ((await gitTest(repoPath, ['cat-file', '-e', `${candidateHead}^{commit}`])) && (await isAncestor(repoPath, candidateHead, head)))
  );
}

export async function advanceTarget(_home: string, input: AdvanceTargetInput): Promise<AdvanceTargetResult> {
  const { laneId, repoPath, target, candidateHead, expectedTargetHead } = input;
  assertLaneId(laneId);
  const targetRef = `refs/heads/${target}`;
  // The reads of the usual landing, side by side (each needs only the input): the target's head
  // and checkout, whether the candidate is ahead of the expected head, a land commit of this lane
  // there, and the commits the landing brings. Each is taken only where the old order asked for it.
  const refsRead = settleLater(readRefs(repoPath, [targetRef]));
  const aheadRead = settleLater(isAncestor(repoPath, expectedTargetHead, candidateHead));
  const landCommitRead = settleLater(findLaneCommit(repoPath, expectedTargetHead, laneId, LAND_STEP));
  const commitsRead = settleLater(laneCommitsIn(repoPath, `${expectedTargetHead}..${candidateHead}`));
  const targetState = (await refsRead()).get(targetRef);
  // A name git refuses names no branch (one that reads as an option aside): checked only then, with the same errors as before.
  if (!targetState || target.startsWith('-')) await assertBranchName(repoPath, target, 'target');
  if (!targetState) missingBranch(repoPath, target, 'target');
  const current = targetState.sha;
  const landedAlready = (head: string) => candidateLandedIn(repoPath, laneId, candidateHead, head);

  // Landed (now or by an earlier attempt): the report lists what the landing brought.
  const landed = async (targetHead: string): Promise<AdvanceTargetResult> => ({ landed: true, targetHead, landedCommits: await commitsRead() });
  if (current === candidateHead) return landed(current);
  // The usual case: target still where the candidate was built, candidate strictly ahead of
  // it. Then the candidate cannot be in target yet; only a land commit could be.
  const ahead = current === expectedTargetHead && (await aheadRead());
  if (ahead ? (await landCommitRead()) !== null : await landedAlready(current)) return landed(current);
  if (current !== expectedTargetHead) return { landed: false, targetHead: current, reason: 'target_moved' };
  if (!ahead) {
    throw laneFailure('branch_divergence', `candidate ${candidateHead.slice(0, 12)} does not descend from ${target} at ${expectedTargetHead.slice(0, 12)}; refusing a non-fast-forward`, {
      hint: 'prepare the candidate again from the current target head',
    });
  }

  // Re-read after a failed move: distinguishes "someone moved it" from a real git error.
  const afterFailure = async (err: unknown): Promise<AdvanceTargetResult> => {
    const now = await requireBranch(repoPath, target, 'target');
    if (await landedAlready(now)) return landed(now);
    if (now !== expectedTargetHead) return { landed: false, targetHead: now, reason: 'target_moved' };
    throw err;
  };

  // The checkout that has the target checked out (for-each-ref's worktreepath); a bare repository's own path has no `.git` in it.
  const checkout = targetState.worktreePath !== null && existsSync(join(targetState.worktreePath, '.git')) ? targetState.worktreePath : null;
  if (checkout) {
    // Fast-forwarding a checked-out branch rewrites its files: never over someone's edits.
    const dirtyPaths = await uncommittedPaths(checkout, { untracked: false });
    if (dirtyPaths.length > 0) return { landed: false, targetHead: current, reason: 'target_dirty', dirtyPaths, checkoutPath: checkout };
    try {
      await runGit(checkout, ['merge', '--ff-only', candidateHead]);
    } catch (err) {
      if (err instanceof GitCommandError && /would be overwritten/.test(err.stderr)) {
        return { landed: false, targetHead: current, reason: 'target_dirty', dirtyPaths: [], checkoutPath: checkout };
      }
      return afterFailure(err);
    }
  } else {
    try {
      // Compare-and-swap: git refuses unless the ref still holds expectedTargetHead.
      await runGit(repoPath, ['update-ref', '-m', `lanes: land ${laneId}`, targetRef, candidateHead, expectedTargetHead]);
    } catch (err) {
      return afterFailure(err);
    }
  }
  // Both moves leave the target exactly at the candidate.
  return landed(candidateHead);
}
