// Repository preflight: every repo mistake a packet can carry, found before a lane starts,
// each with its cause and a fix. Run by `lanes submit` (before any workflow exists) and
// again as a lane's first activity on its host, since the host's view is the truth.
import { statSync } from 'node:fs';
import type { FailureClass } from '../failures.js';
import { GitCommandError, runGit, settleLater } from './client.js';
import { branchOwnership, foreignBranchRefusal } from './branch-owner.js';
import { baseRefCandidates, readRefs, type RefState, resolveBaseFrom } from './refs.js';

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
  // One process answers both: "true"/"false" (inside a work tree) on the first line, then HEAD's
  // commit; exit 1 (the first line still printed) when HEAD names no commit, 128 outside a repository.
  let out = '';
  let hasHead = true;
  try {
    out = await runGit(repoPath, ['rev-parse', '--is-inside-work-tree', '--verify', '--quiet', 'HEAD^{commit}']);
  } catch (err) {
    if (!(err instanceof GitCommandError)) throw err;
    hasHead = false;
    out = err.exitStatus === 1 ? err.stdout : '';
  }
  if (out.split('\n')[0]?.trim() !== 'true') {
    return problem(field, `repo.path ${repoPath} is not a git work tree`, `run \`git init\` there and commit, or point repo.path at an existing checkout (a bare repository cannot host a lane)`);
  }
  if (!hasHead) {
    // An unborn HEAD: no commit to branch from yet.
    const anyBranch = (await runGit(repoPath, ['for-each-ref', '--count=1', '--format=%(refname)', 'refs/heads'])).trim();
    if (!anyBranch) return problem(field, `repository ${repoPath} has no commits yet`, `make a first commit there (git -C ${repoPath} commit --allow-empty -m init), then submit again`);
  }
  return undefined;
}

/** What the preflight read and a worktree step can use without reading it again. */
export interface PreflightFacts {
  /** The commit the base resolves to. */
  baseHead: string;
  /** The lane branch's head; null when the branch does not exist yet. */
  branchTip: string | null;
}

export interface PreflightOutcome {
  problems: PreflightProblem[];
  /** Present when there are no problems. */
  facts?: PreflightFacts;
}

/**
 * Every problem that stops a lane from starting in `repoPath`; empty when it can start.
 * Only the first problem of the repository itself is reported (the rest cannot be checked
 * without a repository).
 */
export async function preflightRepo(input: PreflightInput): Promise<PreflightProblem[]> {
  return (await inspectRepo(input)).problems;
}

/** preflightRepo, with what it read about the base and the lane branch when there is no problem. */
export async function inspectRepo(input: PreflightInput): Promise<PreflightOutcome> {
  // The heads are read beside the repository check; they are used only when it passes.
  const refsRead = settleLater(readRefs(input.repoPath, preflightRefs(input)));
  const repo = await repoProblem(input.repoPath);
  if (repo) return { problems: [repo] };
  return inspectBranches(input, await refsRead());
}

/**
 * The branch half of the preflight, for a repository known to be one (a local checkout that
 * passed the repository checks, or a host's mirror of a remote, which is bare).
 */
export async function preflightBranches(input: PreflightInput): Promise<PreflightProblem[]> {
  return (await inspectBranches(input, await readRefs(input.repoPath, preflightRefs(input)))).problems;
}

/** Every ref the branch checks read, for one for-each-ref: the base's candidates, the target, the lane branch. */
function preflightRefs({ baseBranch, target, branch }: PreflightInput): string[] {
  return [...baseRefCandidates(baseBranch), `refs/heads/${target}`, `refs/heads/${branch}`];
}

async function inspectBranches(input: PreflightInput, refs: Map<string, RefState>): Promise<PreflightOutcome> {
  const { laneId, repoPath, baseBranch, target, branch } = input;
  const problems: PreflightProblem[] = [];
  const branches = 'see `git -C ' + repoPath + ' branch --list`';
  const baseHead = await resolveBaseFrom(repoPath, baseBranch, refs);
  if (!baseHead) problems.push(problem('repo.baseBranch', `base branch "${baseBranch}" does not exist in ${repoPath}`, `set repo.baseBranch to an existing branch (${branches})`));
  if (target !== baseBranch && !refs.has(`refs/heads/${target}`)) {
    problems.push(problem('merge.target', `merge target "${target}" is not a local branch of ${repoPath}`, `set merge.target to an existing local branch, or create it first (${branches})`));
  }
  const branchTip = refs.get(`refs/heads/${branch}`)?.sha ?? null;
  if (branch === target || branch === baseBranch) {
    problems.push(problem('branch.name', `branch.name "${branch}" is the lane's ${branch === target ? 'merge target' : 'base branch'}`, 'a lane works on a branch of its own: set branch.name to a new name (or leave it out for lanes/<id>)'));
  } else if (baseHead) {
    const owner = await branchOwnership(repoPath, branch, laneId, baseHead, { tip: branchTip });
    if (owner.state === 'foreign') {
      const { message, hint } = foreignBranchRefusal(branch, owner.reason);
      problems.push(problem('branch.name', message, hint));
    }
  }
  return problems.length > 0 || !baseHead ? { problems } : { problems, facts: { baseHead, branchTip } };
}
