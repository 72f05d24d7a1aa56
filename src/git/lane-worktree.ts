// A lane's worktree lifecycle (DESIGN.md §3 "Worktree safety"): create or find it,
// prove a path is this lane's worktree before acting, and reset it for a restart
// (its removal at closeout: lane-closeout.ts).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, rmdir } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { laneFailure } from '../failures.js';
import { GitCommandError, gitTest, runGit, settleLater } from './client.js';
import { branchOwnership, foreignBranchRefusal, markBranch } from './branch-owner.js';
import type { PreflightFacts } from './preflight.js';
import { assertBranchName, baseRefCandidates, isValidBranchName, readRefs, resolveBaseFrom } from './refs.js';
import {
  assertLaneId,
  assertLanePath,
  canonicalPath,
  checkoutState,
  laneWorktreePath,
  listLiveWorktrees,
  worktreeAt,
} from './worktrees.js';

/** Refuses a repoPath that is not a git repository (validator), telling it apart from a git that could not run (infra). */
export async function assertRepository(repoPath: string): Promise<void> {
  // Only git's own "not a git repository" (exit 128) means that; a git that could not run is infra (retried).
  const ok =
    existsSync(repoPath) &&
    statSync(repoPath).isDirectory() &&
    (await gitTest(repoPath, ['rev-parse', '--git-dir']).catch((err: unknown) => {
      if (err instanceof GitCommandError && err.exitStatus === 128) return false;
      throw err;
    }));
  if (!ok) {
    throw laneFailure('validator', `${repoPath} is not a git repository`, { hint: 'set repo.path in the task packet to a local git checkout' });
  }
}

/** The fork point of `branchRev` from `baseHead`; a lane with no shared history cannot be based there. */
async function forkPoint(repoPath: string, baseHead: string, branchRev: string): Promise<string> {
  try {
    return (await runGit(repoPath, ['merge-base', baseHead, branchRev])).trim();
  } catch (err) {
    if (err instanceof GitCommandError && err.exitStatus === 1) {
      throw laneFailure('branch_divergence', `lane branch ${branchRev} shares no history with base ${baseHead.slice(0, 12)}`, {
        hint: 'delete the lane branch or choose another branch name for the lane',
      });
    }
    throw err;
  }
}

function isEmptyDir(path: string): boolean {
  try {
    return readdirSync(path).length === 0;
  } catch {
    return false;
  }
}

export interface PrepareWorktreeInput {
  laneId: string;
  repoPath: string;
  baseBranch: string;
  branch: string;
  /**
   * The base head and lane branch tip a preflight of the same activity has just read (openLane):
   * not read again. Absent (a re-home, a recreation) = read here.
   */
  known?: PreflightFacts;
}

export interface PrepareWorktreeResult {
  worktreePath: string;
  branch: string;
  /** Where the lane branch forks from the base (merge-base), i.e. the base commit it builds on. */
  baseCommit: string;
  created: boolean;
}

export async function prepareWorktree(home: string, input: PrepareWorktreeInput): Promise<PrepareWorktreeResult> {
  const { laneId, repoPath, baseBranch, branch, known } = input;
  assertLaneId(laneId);
  // Three reads side by side (they need nothing from each other): one for-each-ref for the lane
  // branch and the base (when it names a branch and nothing else; skipped when the preflight has
  // just read them), the branch name check, and the worktree registry. Errors are still raised in
  // the old order: repository, branch name, base.
  const branchRef = `refs/heads/${branch}`;
  const refsRead = known ? null : settleLater(readRefs(repoPath, [branchRef, ...baseRefCandidates(baseBranch)]));
  const nameRead = settleLater(isValidBranchName(repoPath, branch));
  // A worktree folder deleted by hand stays registered until pruned and would block recreation.
  const worktreesRead = settleLater(listLiveWorktrees(repoPath));
  const refs = refsRead
    ? await refsRead().catch(async (err: unknown) => {
        await assertRepository(repoPath);
        throw err;
      })
    : null;
  if (!(await nameRead())) await assertBranchName(repoPath, branch, 'branch');
  const baseHead = known ? known.baseHead : await resolveBaseFrom(repoPath, baseBranch, refs!);
  if (!baseHead) {
    throw laneFailure('validator', `base branch "${baseBranch}" does not exist in ${repoPath}`, {
      hint: 'set repo.baseBranch in the task packet to an existing branch (see `git branch --list`)',
    });
  }
  const branchTip = known ? known.branchTip : refs!.get(branchRef)?.sha ?? null;
  let worktrees = await worktreesRead();
  const path = laneWorktreePath(home, laneId);

  let existing = worktreeAt(worktrees, path);
  if (existing?.locked === 'initializing') {
    // `git worktree add` was killed before its checkout finished: the tree is partial, so
    // reusing it would read as mass deletions. Its branch and commits are refs; redo it.
    await runGit(repoPath, ['worktree', 'remove', '--force', '--force', path]);
    worktrees = worktrees.filter((w) => w !== existing);
    existing = undefined;
  }
  if (existing) {
    if (existing.branch !== branch) {
      throw laneFailure('workspace_mismatch', `worktree ${path} is on ${existing.branch ?? 'a detached HEAD'}, not lane branch ${branch}`, {
        reason: 'wrong_branch',
        hint: `inspect it (git -C ${path} status); remove it with \`git worktree remove\` if nothing there is needed, then retry`,
      });
    }
    return { worktreePath: canonicalPath(path), branch, baseCommit: await forkPoint(repoPath, baseHead, `refs/heads/${branch}`), created: false };
  }
  if (existsSync(path)) {
    // An empty folder is what a crash right after mkdir leaves; anything else is not ours.
    if (!isEmptyDir(path)) {
      throw laneFailure('workspace_mismatch', `${path} exists but is not a worktree of ${repoPath}`, {
        reason: 'foreign',
        hint: 'move that folder away (Lanes never deletes what it did not create), then retry',
      });
    }
    await rmdir(path);
  }
  // Branch safety (Tier-0): an existing branch is only ever reused when it is this lane's own.
  const owner = await branchOwnership(repoPath, branch, laneId, baseHead, { tip: branchTip });
  if (owner.state === 'foreign') {
    const { message, hint } = foreignBranchRefusal(branch, owner.reason);
    throw laneFailure('validator', message, { reason: 'foreign_branch', hint });
  }
  const holder = worktrees.find((w) => w.branch === branch);
  // Re-homed from another host (its own LANES_HOME, same repository): the old host's worktree
  // of this very lane still holds the branch. The lane moved on; check the branch out here too.
  const movedFromOtherHost = holder !== undefined && basename(holder.path) === laneId && basename(dirname(holder.path)) === 'worktrees' && owner.state === 'own';
  if (holder && !movedFromOtherHost) {
    throw laneFailure('workspace_mismatch', `lane branch ${branch} is already checked out at ${holder.path}`, {
      reason: 'branch_checked_out',
      hint: `check out another branch there (git -C ${holder.path} switch <other>) or remove that worktree, then retry`,
    });
  }

  await mkdir(dirname(path), { recursive: true });
  if (owner.state === 'own') {
    // Recreating after a crash or re-home: the lane branch holds every checkpoint commit.
    // A branch recognised by its trailers gets the marker now, so closeout knows it too.
    if (owner.by === 'trailers') await markBranch(repoPath, branch, laneId);
    await runGit(repoPath, ['worktree', 'add', ...(movedFromOtherHost ? ['--force'] : []), path, branch]);
  } else {
    await markBranch(repoPath, branch, laneId);
    await runGit(repoPath, ['worktree', 'add', '--no-track', '-b', branch, path, baseHead]);
    // A branch created at baseHead forks there: no merge-base to ask for.
    return { worktreePath: canonicalPath(path), branch, baseCommit: baseHead, created: true };
  }
  return { worktreePath: canonicalPath(path), branch, baseCommit: await forkPoint(repoPath, baseHead, `refs/heads/${branch}`), created: true };
}

export interface AssertWorkspaceInput {
  laneId: string;
  worktreePath: string;
}

export interface WorkspaceState {
  worktreePath: string;
  /** Checked-out branch, null when HEAD is detached. */
  branch: string | null;
  head: string;
  /** Uncommitted changes, untracked files included. */
  dirty: boolean;
  /** Asked for with `ignored`: ignored paths are present (node_modules, build outputs). */
  ignored?: boolean;
  /** Asked for with `ignored`: a change `git add -A` would not commit as is (submodule, nested repository, unmerged path). */
  unstageable?: boolean;
}

/** `ignored`: the same status also lists ignored paths (what a clean checkout of HEAD would not hold). */
export async function assertWorkspace(home: string, { laneId, worktreePath }: AssertWorkspaceInput, options: { ignored?: boolean } = {}): Promise<WorkspaceState> {
  const path = assertLanePath(home, laneId, worktreePath);
  const recreate = 'recreate it from the lane branch with prepareWorktree';
  if (!existsSync(path)) {
    throw laneFailure('workspace_mismatch', `worktree of lane ${laneId} is missing at ${path}`, { reason: 'missing', hint: recreate });
  }
  // One rev-parse for the checkout root and both git dirs (fails outside a checkout).
  const [top, gitDir, commonDir] = await runGit(path, ['rev-parse', '--path-format=absolute', '--show-toplevel', '--git-dir', '--git-common-dir']).then(
    (out) => out.trim().split('\n'),
    () => [] as string[],
  );
  // A linked worktree has its own git dir apart from the shared one; a clone or plain folder does not.
  const linked = gitDir !== undefined && commonDir !== undefined && canonicalPath(gitDir) !== canonicalPath(commonDir);
  if (!top || canonicalPath(top) !== path || !linked) {
    throw laneFailure('workspace_mismatch', `${path} is not a linked git worktree (found ${top ? `a checkout rooted at ${top}` : 'no git checkout'})`, {
      reason: 'foreign',
      hint: `move the folder away, then ${recreate}`,
    });
  }
  // Branch, head and dirtiness from one `git status` (was three processes).
  const { branch, head, dirty, ...extra } = await checkoutState(path, options);
  if (!head) {
    throw laneFailure('workspace_mismatch', `worktree ${path} has no commit checked out`, { reason: 'foreign', hint: `move the folder away, then ${recreate}` });
  }
  return { worktreePath: path, branch, head, dirty, ...extra };
}

export interface ResetWorktreeInput {
  laneId: string;
  worktreePath: string;
  /** The commit the lane branch and its worktree go back to (a checkpoint, or the base). */
  to: string;
}

/**
 * `lanes restart`: the lane's worktree and branch back to `to`, uncommitted and untracked
 * work dropped (ignored files such as node_modules stay). Idempotent: a retry resets again.
 */
export async function resetWorktree(home: string, input: ResetWorktreeInput): Promise<{ head: string }> {
  const ws = await assertWorkspace(home, input);
  await runGit(ws.worktreePath, ['reset', '--hard', '--quiet', input.to]);
  await runGit(ws.worktreePath, ['clean', '-fd', '--quiet']);
  return { head: (await runGit(ws.worktreePath, ['rev-parse', 'HEAD'])).trim() };
}
