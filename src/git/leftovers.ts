// What an ended lane left behind (`lanes clean`): its worktree, its landing candidate, its
// branch and its folder. Inspected first, decided by a pure rule, then removed — never a
// worktree with uncommitted work or a branch with unlanded commits unless forced, and never
// a branch the lane did not create.
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { runGit } from './client.js';
import { branchMarker } from './branch-owner.js';
import { candidateBranchName, removeCandidate } from './landing.js';
import { branchHead, isAncestor } from './refs.js';
import { candidateWorktreePath, findWorktree, laneWorktreePath, uncommittedPaths } from './worktrees.js';

export interface LaneLeftovers {
  laneId: string;
  repoPath: string;
  worktree: { path: string; dirty: string[]; registered: boolean } | null;
  candidate: { path: string | null; branch: string | null } | null;
  branch: { name: string; unlanded: number; ours: boolean; target: string } | null;
  folder: string | null;
}

export interface CleanItem {
  laneId: string;
  what: 'worktree' | 'candidate' | 'branch' | 'folder';
  name: string;
  reason: string;
}

export async function inspectLane(home: string, input: { laneId: string; repoPath: string; branch: string; target: string; folder: string | null }): Promise<LaneLeftovers> {
  const { laneId, repoPath, branch, target } = input;
  const wtPath = laneWorktreePath(home, laneId);
  const registered = !!(await findWorktree(repoPath, wtPath));
  const worktree = registered || existsSync(wtPath) ? { path: wtPath, dirty: registered ? await uncommittedPaths(wtPath) : [], registered } : null;
  const candPath = candidateWorktreePath(home, laneId);
  const candBranch = candidateBranchName(laneId);
  const hasCandPath = existsSync(candPath);
  const hasCandBranch = !!(await branchHead(repoPath, candBranch));
  const candidate = hasCandPath || hasCandBranch ? { path: hasCandPath ? candPath : null, branch: hasCandBranch ? candBranch : null } : null;
  const tip = await branchHead(repoPath, branch);
  let lane: LaneLeftovers['branch'] = null;
  if (tip && branch !== target) {
    const targetHead = await branchHead(repoPath, target);
    const unlanded = targetHead && (await isAncestor(repoPath, tip, targetHead)) ? 0 : Number((await runGit(repoPath, ['rev-list', '--count', targetHead ? `${targetHead}..${tip}` : tip])).trim());
    lane = { name: branch, unlanded, ours: (await branchMarker(repoPath, branch)) === laneId, target };
  }
  return { laneId, repoPath, worktree, candidate, branch: lane, folder: input.folder && existsSync(input.folder) ? input.folder : null };
}

/** The rule: what goes and what stays (with why). Pure. */
export function decideClean(l: LaneLeftovers, force: boolean): { remove: CleanItem[]; keep: CleanItem[] } {
  const remove: CleanItem[] = [];
  const keep: CleanItem[] = [];
  const item = (what: CleanItem['what'], name: string, reason: string): CleanItem => ({ laneId: l.laneId, what, name, reason });
  if (l.worktree) {
    if (!l.worktree.registered) keep.push(item('worktree', l.worktree.path, `not a worktree of ${l.repoPath}; left untouched`));
    else if (l.worktree.dirty.length > 0 && !force) keep.push(item('worktree', l.worktree.path, `${l.worktree.dirty.length} uncommitted path(s) (${l.worktree.dirty.slice(0, 5).join(', ')}); commit them, or clean with --force (they are lost)`));
    else remove.push(item('worktree', l.worktree.path, l.worktree.dirty.length > 0 ? `forced: ${l.worktree.dirty.length} uncommitted path(s) discarded` : 'clean worktree of an ended lane'));
  }
  if (l.candidate) remove.push(item('candidate', l.candidate.branch ?? l.candidate.path!, 'landing candidate (disposable)'));
  const worktreeStays = keep.some((k) => k.what === 'worktree');
  if (l.branch) {
    if (!l.branch.ours) keep.push(item('branch', l.branch.name, `not created by lane ${l.laneId}; never deleted`));
    else if (worktreeStays) keep.push(item('branch', l.branch.name, 'its worktree is kept'));
    else if (l.branch.unlanded > 0 && !force) keep.push(item('branch', l.branch.name, `${l.branch.unlanded} commit(s) not on ${l.branch.target}; land them, or clean with --force (they are lost)`));
    else remove.push(item('branch', l.branch.name, l.branch.unlanded > 0 ? `forced: ${l.branch.unlanded} unlanded commit(s) discarded` : `landed on ${l.branch.target}`));
  }
  if (l.folder) {
    if (keep.length > 0) keep.push(item('folder', l.folder, 'the lane still has leftovers it describes'));
    else remove.push(item('folder', l.folder, 'lane folder of an ended lane'));
  }
  return { remove, keep };
}

export async function removeLeftovers(home: string, l: LaneLeftovers, items: readonly CleanItem[]): Promise<void> {
  for (const it of items) {
    switch (it.what) {
      case 'worktree':
        await runGit(l.repoPath, ['worktree', 'remove', '--force', it.name]);
        break;
      case 'candidate':
        await removeCandidate(home, { laneId: l.laneId, repoPath: l.repoPath });
        break;
      case 'branch':
        await runGit(l.repoPath, ['branch', '-D', it.name]);
        break;
      case 'folder':
        await rm(it.name, { recursive: true, force: true });
        break;
    }
  }
  await runGit(l.repoPath, ['worktree', 'prune']);
}
