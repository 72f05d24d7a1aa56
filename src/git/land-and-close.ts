// The fast-forward and, once it landed, the lane's git closeout in the same step (land.ts,
// for a lane with nothing to stop before its worktree goes). The closeout's reads start
// beside the fast-forward's and the target is not read again: the landing just said where
// it is. A closeout that fails here is left to the lane's closeout step (it runs it again),
// so the landing never fails for it.
import { settleLater } from './client.js';
import { type CloseoutResult, closeoutWith, readCloseoutState } from './lane-closeout.js';
import { type AdvanceTargetInput, type AdvanceTargetResult, advanceTarget } from './landing.js';
import { isAncestor } from './refs.js';

export interface AdvanceAndCloseInput extends AdvanceTargetInput {
  /** When given: once landed, the lane's worktree and branch are closed out as closeout (force: false) would. */
  closeout?: { worktreePath: string; branch: string };
}

export interface AdvanceAndCloseResult extends AdvanceTargetResult {
  /** Landed and closed out: what closeout would have answered. Absent: the lane's closeout step does it. */
  closeout?: CloseoutResult;
  /** Why the closeout here did not finish (the lane's closeout step runs it again). */
  closeoutError?: string;
}

/** `afterMove` runs once the target holds the candidate, before the closeout (the after_merge kill point). */
export async function advanceAndClose(home: string, input: AdvanceAndCloseInput, afterMove: () => Promise<void> = async () => {}): Promise<AdvanceAndCloseResult> {
  const { laneId, repoPath, target, candidateHead, closeout } = input;
  const reads = closeout ? startCloseoutReads(repoPath, laneId, closeout.branch, candidateHead) : null;
  const r = await advanceTarget(home, input);
  if (!r.landed) return r;
  await afterMove();
  if (!closeout || !reads) return r;
  try {
    const { state, laneInCandidate } = await reads();
    // The target holds exactly this candidate: a lane tip in the candidate is in the target. Otherwise closeout asks git.
    const laneInTarget = r.targetHead === candidateHead && laneInCandidate ? true : undefined;
    const known = { ...state, target: { sha: r.targetHead, parents: [] }, ...(laneInTarget ? { laneInTarget } : {}) };
    return { ...r, closeout: await closeoutWith(home, { laneId, repoPath, target, worktreePath: closeout.worktreePath, branch: closeout.branch, force: false }, known) };
  } catch (err) {
    return { ...r, closeoutError: err instanceof Error ? err.message : String(err) };
  }
}

/** What closeout reads, all but the target (readCloseoutState), and whether the lane tip is in the candidate. */
function startCloseoutReads(repoPath: string, laneId: string, branch: string, candidateHead: string) {
  const stateRead = settleLater(readCloseoutState(repoPath, laneId, branch, null));
  const inCandidateRead = settleLater(stateRead().then((state) => (state.laneTip ? isAncestor(repoPath, state.laneTip, candidateHead) : false)));
  return async () => ({ state: await stateRead(), laneInCandidate: await inCandidateRead() });
}
