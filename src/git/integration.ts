// The integration branch of a run (docs/runs.md): lanes land there first; the target moves
// to it only by fast-forward after the doctor passed on the exact commit being moved to.
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { laneFailure } from '../failures.js';
import { runGit } from './client.js';
import { assertBranchName, branchHead, isAncestor } from './refs.js';
import { findWorktree } from './worktrees.js';

export interface PrepareIntegrationInput {
  repoPath: string;
  target: string;
  integrationBranch: string;
}

export interface PrepareIntegrationResult {
  targetHead: string;
  integrationHead: string;
  created: boolean;
}

/**
 * Creates the integration branch at the target's head, or reuses it when it already
 * contains the target (a resumed run, a retry). Never moves an existing branch.
 */
export async function prepareIntegration({ repoPath, target, integrationBranch }: PrepareIntegrationInput): Promise<PrepareIntegrationResult> {
  await assertBranchName(repoPath, target, 'target');
  await assertBranchName(repoPath, integrationBranch, 'integrationBranch');
  const targetHead = await branchHead(repoPath, target);
  if (!targetHead) throw laneFailure('validator', `target branch "${target}" does not exist in ${repoPath}`, { hint: 'create the branch or correct target in the plan' });
  const existing = await branchHead(repoPath, integrationBranch);
  if (existing) {
    if (!(await isAncestor(repoPath, targetHead, existing))) {
      throw laneFailure('branch_divergence', `integration branch ${integrationBranch} does not contain ${target} at ${targetHead.slice(0, 12)}: ${target} moved outside the run`, {
        hint: `merge ${target} into ${integrationBranch} (or delete ${integrationBranch} to start it afresh), then start the run again`,
      });
    }
    return { targetHead, integrationHead: existing, created: false };
  }
  await runGit(repoPath, ['branch', integrationBranch, targetHead]);
  return { targetHead, integrationHead: targetHead, created: true };
}

export function doctorWorktreePath(home: string, runId: string): string {
  return join(resolve(home), 'worktrees', `run-${runId}.doctor`);
}

/** A detached, disposable checkout of `ref` for the doctor; replaces a leftover one. */
export async function checkoutForDoctor(home: string, runId: string, repoPath: string, ref: string): Promise<{ path: string; head: string }> {
  const head = await branchHead(repoPath, ref);
  if (!head) throw laneFailure('validator', `integration branch "${ref}" does not exist in ${repoPath}`, { hint: 'start the run again; it recreates the branch' });
  const path = doctorWorktreePath(home, runId);
  await removeDoctorCheckout(home, runId, repoPath);
  await mkdir(dirname(path), { recursive: true });
  await runGit(repoPath, ['worktree', 'add', '--detach', path, head]);
  return { path, head };
}

export async function removeDoctorCheckout(home: string, runId: string, repoPath: string): Promise<void> {
  const path = doctorWorktreePath(home, runId);
  await runGit(repoPath, ['worktree', 'prune']);
  // Only the doctor ran in it, on committed code: force is safe here.
  if (await findWorktree(repoPath, path)) await runGit(repoPath, ['worktree', 'remove', '--force', '--force', path]);
  if (existsSync(path)) await rm(path, { recursive: true, force: true });
}
