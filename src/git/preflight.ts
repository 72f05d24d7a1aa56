// Repository preflight: every repo mistake a packet can carry, found before a lane starts,
// each with its cause and a fix. Run by `lanes submit` (before any workflow exists) and
// again as a lane's first activity on its host, since the host's view is the truth.
import { statSync } from 'node:fs';
import type { FailureClass } from '../failures.js';
import { GitCommandError, runGit } from './client.js';
import { branchOwnership, foreignBranchRefusal } from './branch-owner.js';
import { branchHead, resolveCommit } from './refs.js';

export interface PreflightInput {
  laneId: string;
  repoPath: string;
  baseBranch: string;
  target: string;
  branch: string;
}

export interface PreflightProblem {
  /** The packet field to change. */
  field: string;
  failureClass: FailureClass;
  message: string;
  hint: string;
}

function problem(field: string, message: string, hint: string, failureClass: FailureClass = 'validator'): PreflightProblem {
  return { field, failureClass, message, hint };
}

/** What `repoPath` is, as far as a lane is concerned; a problem when it cannot host one. */
async function repoProblem(repoPath: string): Promise<PreflightProblem | undefined> {
  const field = 'repo.path';
  let isDir: boolean;
  try {
    isDir = statSync(repoPath).isDirectory();
  } catch {
    return problem(field, `repo.path ${repoPath} does not exist`, 'set repo.path to a local git checkout (relative paths are relative to the packet file)');
  }
  if (!isDir) return problem(field, `repo.path ${repoPath} is a file, not a folder`, 'set repo.path to the folder of a git checkout, not a file in it');
  let inside = '';
  try {
    inside = (await runGit(repoPath, ['rev-parse', '--is-inside-work-tree'])).trim();
  } catch (err) {
    if (!(err instanceof GitCommandError)) throw err;
  }
  if (inside !== 'true') {
    return problem(field, `repo.path ${repoPath} is not a git work tree`, `run \`git init\` there and commit, or point repo.path at an existing checkout (a bare repository cannot host a lane)`);
  }
  try {
    await runGit(repoPath, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}']);
  } catch (err) {
    if (!(err instanceof GitCommandError)) throw err;
    // An unborn HEAD: no commit to branch from yet.
    const anyBranch = (await runGit(repoPath, ['for-each-ref', '--count=1', '--format=%(refname)', 'refs/heads'])).trim();
    if (!anyBranch) return problem(field, `repository ${repoPath} has no commits yet`, `make a first commit there (git -C ${repoPath} commit --allow-empty -m init), then submit again`);
  }
  return undefined;
}

/**
 * Every problem that stops a lane from starting in `repoPath`; empty when it can start.
 * Only the first problem of the repository itself is reported (the rest cannot be checked
 * without a repository).
 */
export async function preflightRepo(input: PreflightInput): Promise<PreflightProblem[]> {
  const repo = await repoProblem(input.repoPath);
  if (repo) return [repo];
  return preflightBranches(input);
}

/**
 * The branch half of the preflight, for a repository known to be one (a local checkout that
 * passed the repository checks, or a host's mirror of a remote, which is bare).
 */
export async function preflightBranches(input: PreflightInput): Promise<PreflightProblem[]> {
  const { laneId, repoPath, baseBranch, target, branch } = input;
  const problems: PreflightProblem[] = [];
  const branches = 'see `git -C ' + repoPath + ' branch --list`';
  const baseHead = await resolveCommit(repoPath, baseBranch);
  if (!baseHead) problems.push(problem('repo.baseBranch', `base branch "${baseBranch}" does not exist in ${repoPath}`, `set repo.baseBranch to an existing branch (${branches})`));
  if (target !== baseBranch && !(await branchHead(repoPath, target))) {
    problems.push(problem('merge.target', `merge target "${target}" is not a local branch of ${repoPath}`, `set merge.target to an existing local branch, or create it first (${branches})`));
  }
  if (branch === target || branch === baseBranch) {
    problems.push(problem('branch.name', `branch.name "${branch}" is the lane's ${branch === target ? 'merge target' : 'base branch'}`, 'a lane works on a branch of its own: set branch.name to a new name (or leave it out for lanes/<id>)'));
  } else if (baseHead) {
    const owner = await branchOwnership(repoPath, branch, laneId, baseHead);
    if (owner.state === 'foreign') {
      const { message, hint } = foreignBranchRefusal(branch, owner.reason);
      problems.push(problem('branch.name', message, hint));
    }
  }
  return problems;
}
