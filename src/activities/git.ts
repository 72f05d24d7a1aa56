// Git activities: a lane's worktree, checkpoint commits, freshness, merge-forward,
// landing and closeout. Wiring only; the git work lives in src/git/. Inputs and outputs
// are plain JSON (they cross Temporal). Every failure leaves as a laneFailure whose type
// is its FailureClass; anything unexpected is `infra` (retryable).
import { ApplicationFailure } from '@temporalio/common';
import { LanesError } from '../errors.js';
import { classifyFailure, laneFailure } from '../failures.js';
import {
  type BranchStatusInput,
  type BranchStatusResult,
  type CommitWorkInput,
  type CommitWorkResult,
  type LaneCommitsInput,
  type MergeForwardInput,
  type MergeForwardResult,
  branchStatus,
  commitWork,
  laneCommits,
  mergeForward,
  rebaseOntoBase,
  scopeCheck,
  type ScopeCheckInput,
} from '../git/lane-branch.js';
import {
  type AssertWorkspaceInput,
  type PrepareWorktreeInput,
  type PrepareWorktreeResult,
  type ResetWorktreeInput,
  type WorkspaceState,
  assertWorkspace,
  prepareWorktree,
  resetWorktree,
} from '../git/lane-worktree.js';
import { type CloseoutInput, type CloseoutResult, closeout } from '../git/lane-closeout.js';
import { type AdvanceAndCloseInput, type AdvanceAndCloseResult, advanceAndClose } from '../git/land-and-close.js';
import {
  type AdvanceTargetInput,
  type AdvanceTargetResult,
  type IsLandedInput,
  type IsLandedResult,
  type PrepareCandidateInput,
  type PrepareCandidateResult,
  type RemoveCandidateInput,
  isLanded,
  prepareCandidate,
  removeCandidate,
} from '../git/landing.js';
import { inspectRepo, type PreflightFacts, type PreflightInput, type PreflightProblem } from '../git/preflight.js';
import { laneCommitsIn } from '../git/refs.js';
import type { LaneCommit } from '../git/trailers.js';
import { screenDiff, type ScreenResult } from '../git/screen.js';
import { ScreenSchema, type ScreenSettings } from '../packet/schema.js';

export interface ScreenDiffInput {
  laneId: string;
  worktreePath: string;
  base: string;
  /** The packet's `screen` section; absent = defaults. */
  settings?: Partial<ScreenSettings>;
}
import { type FaultInjector, NO_FAULTS } from '../faults/index.js';

export type { GitIdentity } from '../git/client.js';
export type { LandingMode } from '../git/landing.js';
export type {
  AdvanceAndCloseInput,
  AdvanceAndCloseResult,
  AdvanceTargetInput,
  AdvanceTargetResult,
  AssertWorkspaceInput,
  BranchStatusInput,
  BranchStatusResult,
  CloseoutInput,
  CloseoutResult,
  CommitWorkInput,
  CommitWorkResult,
  IsLandedInput,
  IsLandedResult,
  LaneCommit,
  LaneCommitsInput,
  MergeForwardInput,
  MergeForwardResult,
  PrepareCandidateInput,
  PrepareCandidateResult,
  PrepareWorktreeInput,
  PrepareWorktreeResult,
  RemoveCandidateInput,
  WorkspaceState,
};

export interface GitActivitiesDeps {
  /** $LANES_HOME: lane worktrees live in `${home}/worktrees/<laneId>`. */
  home: string;
  /** Kill points for drills and chaos (default NO_FAULTS: nothing fires). */
  faults?: FaultInjector;
}

/** Errors leave an activity as laneFailures, keeping the innermost failure class. */
function toFailure(name: string, err: unknown): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  const cls = classifyFailure(err, 'infra');
  const message = err instanceof Error ? err.message : String(err);
  const hint = err instanceof LanesError ? err.hint : undefined;
  return laneFailure(cls, `${name}: ${message}`, hint ? { hint } : {}, err instanceof Error ? err : undefined);
}

export function boundary<I, O>(name: string, fn: (input: I) => Promise<O>): (input: I) => Promise<O> {
  return async (input) => {
    try {
      return await fn(input);
    } catch (err) {
      throw toFailure(name, err);
    }
  };
}

/** A preflight's problems as one failure of the first problem's class; none -> ok. */
export function refuseProblems(problems: PreflightProblem[]): { ok: true } {
  const first = problems[0];
  if (first) {
    throw laneFailure(first.failureClass, problems.map((p) => `${p.field}: ${p.message}`).join('; '), {
      hint: problems.map((p) => p.hint).join('; '),
      fields: problems.map((p) => p.field),
    });
  }
  return { ok: true };
}

export function createGitActivities({ home, faults = NO_FAULTS }: GitActivitiesDeps) {
  return {
    /**
     * Creates (or finds) the lane worktree `${home}/worktrees/<laneId>` on `branch`, creating
     * the branch from `baseBranch` when absent and reusing it otherwise (checkpoints survive).
     * Failure semantics: keyed by laneId; a retry returns the same worktree with created:false.
     * Foreign folder or wrong branch -> workspace_mismatch; missing base -> validator.
     */
    prepareWorktree: boundary('prepareWorktree', async (input: PrepareWorktreeInput): Promise<PrepareWorktreeResult> => {
      const r = await prepareWorktree(home, input);
      await faults.point('after_worktree', { home, laneId: input.laneId, repoPath: input.repoPath });
      return r;
    }),

    /**
     * `lanes restart`: the lane branch and worktree reset to a checkpoint commit or the base.
     * Failure semantics: idempotent (a retry resets to the same commit); a foreign worktree -> workspace_mismatch.
     */
    resetWorktree: boundary('resetWorktree', (input: ResetWorktreeInput): Promise<{ head: string }> => resetWorktree(home, input)),

    /**
     * The lane's first step on its host: the repository checks `lanes submit` ran on the
     * client, again here (the host's view is the truth). Every problem leaves in one failure
     * of the first problem's class, message and hint, never as a bare git error; without one,
     * the base head and lane branch tip it read (for openLane's worktree step).
     * Failure semantics: read-only, retry-safe; a problem -> validator (not retried).
     */
    preflightLane: boundary('preflightLane', async (input: PreflightInput): Promise<{ ok: true; facts?: PreflightFacts }> => {
      const { problems, facts } = await inspectRepo(input);
      return { ...refuseProblems(problems), ...(facts ? { facts } : {}) };
    }),

    /**
     * Proves `worktreePath` is this lane's linked worktree and reports branch, head and dirtiness.
     * Failure semantics: read-only, retry-safe; outside the lane, missing or foreign -> workspace_mismatch.
     */
    assertWorkspace: boundary('assertWorkspace', (input: AssertWorkspaceInput): Promise<WorkspaceState> => assertWorkspace(home, input)),

    /**
     * Stages everything and commits it with trailers Lane-Id/Lane-Step.
     * Failure semantics: keyed by (laneId, step) via trailers; a retry returns the existing
     * commit with created:false and never commits twice. Nothing to commit -> sha null.
     */
    commitWork: boundary('commitWork', async (input: CommitWorkInput): Promise<CommitWorkResult> => {
      const r = await commitWork(home, input);
      if (r.sha) await faults.point('after_commit', { home, laneId: input.laneId, step: input.step });
      return r;
    }),

    /**
     * Ahead/behind counts of the lane branch against `base`.
     * Failure semantics: read-only, retry-safe; any git error -> infra (unknown freshness is never fresh).
     */
    branchStatus: boundary('branchStatus', (input: BranchStatusInput): Promise<BranchStatusResult> => branchStatus(home, input)),

    /**
     * Merges `base` into the lane branch as one merge commit (Lane-Step merge-forward-<base sha12>).
     * Failure semantics: keyed by (laneId, base head); a retry returns the existing merge
     * (merged:true, same sha); up to date -> merged:false; conflict -> aborted, conflict:true, tree clean.
     */
    mergeForward: boundary('mergeForward', (input: MergeForwardInput): Promise<MergeForwardResult> => mergeForward(home, input)),

    /**
     * The lane's changed files (since its merge base with `base`) and those outside the write manifest.
     * Failure semantics: read-only, retry-safe.
     */
    scopeCheck: boundary('scopeCheck', (input: ScopeCheckInput) => scopeCheck(home, input)),

    /**
     * The landing screen (src/git/screen.ts): symlinks out of the repo, oversized files, new
     * executable bits, submodules, .git* config changes in the lane's diff against `base`,
     * split by the packet's `screen` actions into refused and blocked findings.
     * Failure semantics: read-only, retry-safe.
     */
    screenDiff: boundary('screenDiff', async (input: ScreenDiffInput): Promise<ScreenResult> => {
      const ws = await assertWorkspace(home, { laneId: input.laneId, worktreePath: input.worktreePath });
      return screenDiff(ws.worktreePath, input.base, ScreenSchema.parse(input.settings ?? {}));
    }),

    /**
     * Rebases the lane branch onto `base` (staleness policy `rebase`); commits keep their trailers.
     * Failure semantics: keyed by (laneId, base head); a retry after success finds base already
     * contained and returns merged:false; conflict -> aborted, conflict:true, tree clean.
     */
    rebaseOntoBase: boundary('rebaseOntoBase', (input: MergeForwardInput): Promise<MergeForwardResult> => rebaseOntoBase(home, input)),

    /**
     * Writes the land commit of the target head and the lane (merge | squash | ff_only) without a
     * checkout, then checks out exactly that commit as `lanes-candidate/<laneId>` in
     * `${home}/worktrees/<laneId>.candidate` so tests can run on it before the target moves.
     * Failure semantics: keyed by laneId; a retry rebuilds the candidate; a landed lane -> alreadyLanded:true
     * and nothing else; conflict -> conflict:true with the files, no candidate left; ff_only on a diverged lane -> branch_divergence.
     */
    prepareCandidate: boundary('prepareCandidate', async (input: PrepareCandidateInput): Promise<PrepareCandidateResult> => {
      const r = await prepareCandidate(home, input);
      if (!r.alreadyLanded && !r.conflict) await faults.point('mid_merge', { home, laneId: input.laneId, repoPath: input.repoPath });
      return r;
    }),

    /**
     * Fast-forwards the target to the tested candidate, only if it is still at expectedTargetHead.
     * Failure semantics: keyed by (laneId, candidateHead); a retry after success returns landed:true;
     * target moved -> landed:false 'target_moved'; dirty checkout -> landed:false 'target_dirty'.
     * With `closeout`, a landed lane's worktree and branch are then closed out here (land-and-close.ts):
     * keyed by laneId like closeout (gone stays gone); a closeout that fails is reported in closeoutError,
     * never as the landing's failure (the lane's closeout step runs it again).
     */
    advanceTarget: boundary('advanceTarget', (input: AdvanceAndCloseInput): Promise<AdvanceAndCloseResult> =>
      advanceAndClose(home, input, () => faults.point('after_merge', { home, laneId: input.laneId, repoPath: input.repoPath })),
    ),

    /**
     * Removes the lane's candidate worktree and branch.
     * Failure semantics: keyed by laneId; a retry finds nothing and returns removed:false.
     */
    removeCandidate: boundary('removeCandidate', (input: RemoveCandidateInput): Promise<{ removed: boolean }> => removeCandidate(home, input)),

    /**
     * Removes this lane's worktree (never one with uncommitted work unless force) and its branch
     * (only when every commit is in target), plus any candidate.
     * Failure semantics: keyed by laneId; a retry reports the same end state (gone stays gone).
     */
    closeout: boundary('closeout', (input: CloseoutInput): Promise<CloseoutResult> => closeout(home, input)),

    /**
     * Whether target holds the lane's land commit (or, given `branch`, the lane head).
     * Failure semantics: read-only, retry-safe.
     */
    isLanded: boundary('isLanded', (input: IsLandedInput): Promise<IsLandedResult> => isLanded(input)),

    /**
     * Every commit a landing brought onto the target (`from..to`: the target head before and
     * after), oldest first, with their lane trailers: what the report lists as landed.
     * Failure semantics: read-only, retry-safe.
     */
    landedCommits: boundary('landedCommits', (input: { repoPath: string; from: string; to: string }): Promise<LaneCommit[]> => laneCommitsIn(input.repoPath, `${input.from}..${input.to}`)),

    /**
     * Commits on the lane branch not on base, oldest first, with their lane trailers.
     * Failure semantics: read-only, retry-safe.
     */
    laneCommits: boundary('laneCommits', (input: LaneCommitsInput): Promise<LaneCommit[]> => laneCommits(input)),
  };
}

export type GitActivities = ReturnType<typeof createGitActivities>;
