// openLane: a lane's start on its host in one activity — the repository preflight, the trust
// check and, only when both pass, the worktree (one workflow round trip instead of three).
// Composed from the activities the step-by-step start runs (git.preflightLane, checkTrust,
// git.prepareWorktree), so a local or remote repository, the after_worktree kill point and
// every failure are theirs.
import type { PreflightFacts, PreflightInput } from '../git/preflight.js';
import type { PrepareWorktreeInput, PrepareWorktreeResult } from '../git/lane-worktree.js';

export type OpenLaneInput = PreflightInput;

export type OpenLaneResult =
  /** Outside the trusted roots: nothing was created; the lane waits for `lanes trust`. */
  | { trusted: false; trustedRoots: string[] }
  | { trusted: true; trustedRoots: string[]; worktree: PrepareWorktreeResult };

export interface OpenLaneParts {
  checkTrust(input: { repoPath: string }): Promise<{ trusted: boolean; trustedRoots: string[] }>;
  preflightLane(input: PreflightInput): Promise<{ ok: true; facts?: PreflightFacts }>;
  prepareWorktree(input: PrepareWorktreeInput): Promise<PrepareWorktreeResult>;
}

export function createLaneOpenActivities(parts: OpenLaneParts) {
  return {
    /**
     * The preflight (its problem fails the step with the problem's class, message and hint, as
     * preflightLane does), then the trust check; trusted -> the worktree, from the heads the
     * preflight read. The trust check decides before anything is written to the repository.
     * Failure semantics: retry-safe as its parts: reads, then prepareWorktree keyed by laneId
     * (a retry finds the worktree, created:false); untrusted -> trusted:false, nothing created.
     */
    async openLane(input: OpenLaneInput): Promise<OpenLaneResult> {
      const { facts } = await parts.preflightLane(input);
      const { trusted, trustedRoots } = await parts.checkTrust({ repoPath: input.repoPath });
      if (!trusted) return { trusted, trustedRoots };
      const { laneId, repoPath, baseBranch, branch } = input;
      const worktree = await parts.prepareWorktree({ laneId, repoPath, baseBranch, branch, ...(facts ? { known: facts } : {}) });
      return { trusted, trustedRoots, worktree };
    },
  };
}
