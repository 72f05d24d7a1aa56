// A lane's git closeout: its worktree removed (never with uncommitted work unless forced),
// its candidate removed, its branch deleted only when every commit is in the target. The
// reads come first and apart from the removals, so a landing that just moved the target
// (land-and-close.ts) can hand over what it already knows instead of reading it again.
import { existsSync } from 'node:fs';
import { runGit, settleLater } from './client.js';
import { branchMarker } from './branch-owner.js';
import { candidateBranchName, isLanded, removeCandidate } from './landing.js';
import { assertRepository } from './lane-worktree.js';
import { isAncestor, readRefs } from './refs.js';
import { assertLanePath, listLiveWorktrees, uncommittedPaths, worktreeAt, type WorktreeEntry } from './worktrees.js';

export interface CloseoutInput {
  laneId: string;
  repoPath: string;
  worktreePath: string;
  branch: string;
  target: string;
  /** Remove the worktree even with uncommitted changes (they are lost). Default false. */
  force?: boolean;
}

export interface CloseoutResult {
  /** The lane worktree no longer exists. */
  worktreeRemoved: boolean;
  /** The lane branch no longer exists. */
  branchDeleted: boolean;
  /** Why something was kept, for the operator. */
  keptReason?: string;
}

/** Everything closeout decides on, read before anything is removed. */
export interface CloseoutState {
  /** The live worktree registry. */
  worktrees: WorktreeEntry[];
  /** The lane branch head (null: no such branch). */
  laneTip: string | null;
  /** The target head and its parents (null: no such branch). */
  target: { sha: string; parents: string[] } | null;
  /** Whether the lane tip is in the target, when the caller already knows (undefined: closeout asks git). */
  laneInTarget?: boolean;
  candidateBranchExists: boolean;
  /** The lane id marked on the lane branch (branch-owner.ts), or null. */
  marker: string | null;
}

/**
 * The reads side by side: the worktree registry, the heads (with the target's parents) and the
 * lane's branch marker. `target` null: the caller knows the target head already (the landing
 * that just moved it) and sets `state.target` itself.
 */
export async function readCloseoutState(repoPath: string, laneId: string, branch: string, target: string | null): Promise<CloseoutState> {
  const laneRef = `refs/heads/${branch}`;
  const candidateRef = `refs/heads/${candidateBranchName(laneId)}`;
  const targetRef = target === null ? null : `refs/heads/${target}`;
  const [worktrees, refs, marker] = await Promise.all([listLiveWorktrees(repoPath), readRefs(repoPath, [laneRef, candidateRef, ...(targetRef ? [targetRef] : [])]), branchMarker(repoPath, branch)]).catch(
    async (err: unknown) => {
      await assertRepository(repoPath);
      throw err;
    },
  );
  const t = targetRef ? refs.get(targetRef) : undefined;
  return { worktrees, laneTip: refs.get(laneRef)?.sha ?? null, target: t ? { sha: t.sha, parents: t.parents } : null, candidateBranchExists: refs.has(candidateRef), marker };
}

export async function closeout(home: string, input: CloseoutInput): Promise<CloseoutResult> {
  assertLanePath(home, input.laneId, input.worktreePath);
  return closeoutWith(home, input, await readCloseoutState(input.repoPath, input.laneId, input.branch, input.target));
}

/** The removals, decided on `state` (read by readCloseoutState, or handed over by the landing). */
export async function closeoutWith(home: string, input: CloseoutInput, state: CloseoutState): Promise<CloseoutResult> {
  const { laneId, repoPath, branch, target, force = false } = input;
  const path = assertLanePath(home, laneId, input.worktreePath);
  const candidateBranch = candidateBranchName(laneId);
  const kept: string[] = [];

  // The candidate's worktree beside the lane's (two folders, two registry entries: neither waits
  // for the other); its branch goes in the one `branch -D` below.
  const candidateRemoval = settleLater(removeCandidate(home, { laneId, repoPath }, { worktrees: state.worktrees, candidateHead: null }));
  let worktreeRemoved = false;
  try {
    if (worktreeAt(state.worktrees, path)) {
      worktreeRemoved = await removeLaneWorktree(repoPath, path, force, kept);
    } else if (existsSync(path)) {
      kept.push(`${path} is not a worktree of ${repoPath}; left untouched`);
    } else {
      worktreeRemoved = true;
    }
  } finally {
    await candidateRemoval().catch(() => undefined);
  }
  await candidateRemoval();

  let branchDeleted = false;
  let deleteLaneBranch = false;
  const tip = state.laneTip;
  if (!tip) {
    branchDeleted = true;
  } else if (branch === target) {
    kept.push(`branch ${branch} is the target itself; never deleted`);
  } else if (state.marker !== laneId) {
    kept.push(`branch ${branch} was not created by lane ${laneId}; never deleted`);
  } else if (worktreeRemoved) {
    const targetState = state.target;
    if (!targetState) {
      kept.push(`target ${target} not found, so branch ${branch} cannot be proven landed; kept`);
    } else if (state.laneInTarget || tip === targetState.sha || targetState.parents.includes(tip) || (await isAncestor(repoPath, tip, targetState.sha))) {
      // Just landed: known from the landing, or the target is the lane head (ff_only) or its merge commit has it as a parent; otherwise git is asked.
      deleteLaneBranch = true;
    } else {
      const unlanded = (await runGit(repoPath, ['rev-list', '--count', `${targetState.sha}..${tip}`])).trim();
      const squashed = (await isLanded({ laneId, repoPath, target }, { targetHead: targetState.sha })).landed;
      kept.push(
        squashed
          ? `branch ${branch} was squash-landed: its ${unlanded} commit(s) are not in ${target} by identity, so it is kept with their history; delete it by hand when no longer needed`
          : `branch ${branch} has ${unlanded} commit(s) not in ${target}; kept so no work is lost`,
      );
    }
  }
  const doomed = [...(state.candidateBranchExists ? [candidateBranch] : []), ...(deleteLaneBranch ? [branch] : [])];
  if (doomed.length > 0) {
    // One process for both. `branch -D` also drops the lane's marker, and refuses a branch checked
    // out anywhere, so nothing can be committing to the lane branch between the read above and here.
    try {
      await runGit(repoPath, ['branch', '-D', ...doomed]);
      branchDeleted ||= deleteLaneBranch;
    } catch (err) {
      // git deletes what it can and fails on the rest: see which are left.
      const laneRef = `refs/heads/${branch}`;
      const candidateRef = `refs/heads/${candidateBranch}`;
      const left = await readRefs(repoPath, [candidateRef, laneRef]);
      if (left.has(candidateRef)) throw err;
      if (deleteLaneBranch && left.has(laneRef)) kept.push(`branch ${branch} could not be deleted: ${err instanceof Error ? err.message : String(err)}`);
      else branchDeleted ||= deleteLaneBranch;
    }
  }
  return { worktreeRemoved, branchDeleted, ...(kept.length > 0 ? { keptReason: kept.join('; ') } : {}) };
}

/**
 * Removes the lane's registered worktree at `path` unless it holds uncommitted work (then says
 * why in `kept`). git's own `worktree remove` makes the check (modified or untracked files,
 * ignored ones aside); status.showUntrackedFiles is pinned so a repository's config cannot
 * make it overlook untracked files. The paths are listed only when it refuses. Returns whether it removed it.
 */
async function removeLaneWorktree(repoPath: string, path: string, force: boolean, kept: string[]): Promise<boolean> {
  try {
    await runGit(repoPath, force ? ['worktree', 'remove', '--force', path] : ['-c', 'status.showUntrackedFiles=normal', 'worktree', 'remove', path]);
    return true;
  } catch (err) {
    if (force) throw err;
    const dirty = await uncommittedPaths(path).catch(() => []);
    if (dirty.length === 0) throw err;
    const sample = dirty.slice(0, 5).join(', ');
    kept.push(`worktree ${path} has ${dirty.length} uncommitted path(s) (${sample}); commit them or close out with force`);
    return false;
  }
}
