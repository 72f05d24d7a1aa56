// The merge candidate without a worktree, when it is provably the tree the lane's tests
// already ran green on (land.ts, policy.ts decideCandidateReuse): the target has nothing
// the lane lacks, and the lane head's tree is the tested one. Then the candidate is the
// commit prepareCandidate would have made, written with plumbing (one commit-tree) instead
// of a checkout, a merge and a test run.
import { GitCommandError, type GitIdentity, runGit } from './client.js';
import { writeLandCommit } from './land-commit.js';

export { stripspace } from './land-commit.js';

/** What the host read to decide the reuse (the workflow decides again from these). */
export interface CandidateReuseFacts {
  /** The target head is the lane head or one of its ancestors: there is nothing to merge. */
  targetInLane: boolean;
  laneTree: string;
  /** Tree of the commit the worktree tests ran on (null: that commit is gone). */
  testedTree: string | null;
}

/** The trees of lane, tested commit and target in one process; a tested commit that no longer resolves reads as null. */
export interface CandidateTrees {
  lane: string;
  tested: string | null;
  target: string;
}

export async function readTrees(repoPath: string, laneHead: string, testedHead: string, targetHead: string): Promise<CandidateTrees> {
  const [lane, target] = (await runGit(repoPath, ['rev-parse', `${laneHead}^{tree}`, `${targetHead}^{tree}`])).trim().split('\n');
  if (testedHead === laneHead) return { lane: lane!, tested: lane!, target: target! };
  try {
    return { lane: lane!, tested: (await runGit(repoPath, ['rev-parse', '--verify', '--quiet', `${testedHead}^{tree}`])).trim() || null, target: target! };
  } catch (err) {
    if (err instanceof GitCommandError) return { lane: lane!, tested: null, target: target! };
    throw err;
  }
}

export interface ReusedCandidateInput {
  repoPath: string;
  mode: 'merge' | 'squash' | 'ff_only';
  targetHead: string;
  laneHead: string;
  /** The commit the worktree tests ran on, clean. */
  testedHead: string;
  /** The land commit's message, trailers included (as prepareCandidate commits it). */
  message: string;
  author: GitIdentity;
  /** The target head is the lane head or an ancestor of it (the caller's merge-base). */
  targetInLane: boolean;
  /** readTrees of these heads, when the caller already read them. */
  trees?: CandidateTrees;
}

/**
 * The facts, and the candidate head when they allow it (null otherwise): ff_only → the lane
 * head; merge → a two-parent commit (target head, lane head) of the lane tree; squash → a
 * one-parent commit on the target head, or the target head itself when the lane changes nothing.
 */
export async function reusedCandidate(input: ReusedCandidateInput): Promise<{ facts: CandidateReuseFacts; candidateHead: string | null }> {
  const { repoPath, mode, targetHead, laneHead, testedHead, author } = input;
  const { targetInLane } = input;
  const t = input.trees ?? (await readTrees(repoPath, laneHead, testedHead, targetHead));
  const facts: CandidateReuseFacts = { targetInLane, laneTree: t.lane, testedTree: t.tested };
  if (!targetInLane || t.tested !== t.lane) return { facts, candidateHead: null };
  if (mode === 'ff_only') return { facts, candidateHead: laneHead };
  // squash of a lane whose tree is the target's: prepareCandidate commits nothing and lands the target head.
  if (mode === 'squash' && t.lane === t.target) return { facts, candidateHead: targetHead };
  const parents = mode === 'merge' ? [targetHead, laneHead] : [targetHead];
  return { facts, candidateHead: await writeLandCommit(repoPath, t.lane, parents, input.message, author) };
}
