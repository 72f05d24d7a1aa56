// Branch safety (Tier-0): a lane only ever works on a branch it created. A branch is the
// lane's own when the lane marked it at creation (`branch.<name>.lanesLaneId` in the repo
// config, removed by git with the branch) or when every commit it has beyond the base
// carries this lane's Lane-Id trailer (a branch kept from an earlier run of the same id).
// Anything else — a user's WIP branch, another lane's branch, the target — is foreign:
// never adopted, never merged, never deleted.
import { GitCommandError, runGit } from './client.js';
import { branchHead, laneCommitsIn } from './refs.js';

export type BranchOwnership =
  | { state: 'absent' }
  | { state: 'own'; tip: string; by: 'marker' | 'trailers' }
  | { state: 'foreign'; tip: string; reason: string };

function markerKey(branch: string): string {
  return `branch.${branch}.lanesLaneId`;
}

/** The lane id recorded on `branch` when a lane created it, or null. */
export async function branchMarker(repoPath: string, branch: string): Promise<string | null> {
  // One process: `config --get` exits 1 when the key is not set.
  try {
    return (await runGit(repoPath, ['config', '--local', '--get', markerKey(branch)])).trim() || null;
  } catch (err) {
    if (err instanceof GitCommandError && err.exitStatus === 1) return null;
    throw err;
  }
}

/**
 * Records that lane `laneId` creates `branch`. Written before the branch exists, so a crash
 * between the two leaves a marker without a branch (harmless: only this lane id reads it),
 * never a lane branch without its marker.
 */
export async function markBranch(repoPath: string, branch: string, laneId: string): Promise<void> {
  await runGit(repoPath, ['config', '--local', markerKey(branch), laneId]);
}

/** Whose branch `branch` is, seen from lane `laneId` building on `baseHead` (`known.tip`: its head, already read; null = absent). */
export async function branchOwnership(repoPath: string, branch: string, laneId: string, baseHead: string, known: { tip?: string | null } = {}): Promise<BranchOwnership> {
  const tip = known.tip !== undefined ? known.tip : await branchHead(repoPath, branch);
  if (!tip) return { state: 'absent' };
  const marker = await branchMarker(repoPath, branch);
  if (marker === laneId) return { state: 'own', tip, by: 'marker' };
  if (marker) return { state: 'foreign', tip, reason: `it was created by lane ${marker}` };
  const commits = await laneCommitsIn(repoPath, `${baseHead}..${tip}`);
  if (commits.length > 0 && commits.every((c) => c.laneId === laneId)) return { state: 'own', tip, by: 'trailers' };
  const foreign = commits.filter((c) => c.laneId !== laneId).length;
  return {
    state: 'foreign',
    tip,
    reason: commits.length === 0 ? `it already exists (at ${tip.slice(0, 12)}) and was not created by this lane` : `it has ${foreign} commit(s) that are not this lane's (no Lane-Id: ${laneId} trailer)`,
  };
}

/** The message and hint for a lane refused an existing foreign branch. */
export function foreignBranchRefusal(branch: string, reason: string, field = 'branch.name'): { message: string; hint: string } {
  return {
    message: `branch ${branch} already exists and is not this lane's: ${reason}; a lane only ever works on a branch it creates`,
    hint: `set ${field} in the packet to a new branch name (or leave it out for lanes/<id>); ${branch} is left untouched`,
  };
}
