// The landing's reads: the branch status that decides the lane is fresh enough to land,
// and the two reads of the lane's diff (the scope check, the landing screen). They only
// read the lane branch's commits, so they may start early and land() (land.ts) finds them
// done: since lanes-landing-reads-beside-tests all three go out in the workflow task that
// starts the last green level's test run; older runs started the two diff reads beside the
// branch status after that run.
import { patched } from '@temporalio/workflow';
import type { BranchStatusResult } from '../../git/lane-branch.js';
import type { ScreenResult } from '../../git/screen.js';
import { EarlyStart } from './early-start.js';
import type { LaneRun } from './run.js';

/** Patch marker: the scope check and the screen start beside the branch status that ends a green test run. */
export const LANDING_CHECKS_EARLY_PATCH = 'lanes-landing-checks-early';

/** Patch marker: the branch status, the scope check and the screen start beside the last level's test run (older runs: after it). */
export const LANDING_READS_BESIDE_TESTS_PATCH = 'lanes-landing-reads-beside-tests';

/** The landing's reads: the lane branch against its base, and its diff (scope, screen). */
export function landingReads(run: LaneRun) {
  const { packet, laneId } = run;
  const base = packet.repo.baseBranch;
  return {
    branchStatus: () => run.acts.git.branchStatus({ laneId, worktreePath: run.worktreePath!, base }),
    scopeCheck: () => run.acts.git.scopeCheck({ laneId, worktreePath: run.worktreePath!, base, writeManifest: packet.scope.writeManifest }),
    screenDiff: () => run.acts.git.screenDiff({ laneId, worktreePath: run.worktreePath!, base, settings: packet.screen }),
  };
}

/** The scope check and the landing screen, started before the lane knows it goes on to land. */
export interface EarlyLandingChecks {
  scope: EarlyStart<{ changed: string[]; outside: string[] }>;
  screen: EarlyStart<ScreenResult>;
}

/** The early reads a green test run hands to its last branch status (tests.ts freshen). */
export interface EarlyLandingReads {
  /** The branch status itself, when it started beside the test run (null: freshen reads it then). */
  status: EarlyStart<BranchStatusResult> | null;
  checks: EarlyLandingChecks;
}

function startChecks(run: LaneRun): EarlyLandingChecks {
  const { scopeCheck, screenDiff } = landingReads(run);
  return { scope: new EarlyStart(scopeCheck()), screen: new EarlyStart(screenDiff()) };
}

/**
 * Starts all three landing reads beside the test run of the level that ends the worktree
 * run (tests.ts), when the packet lands at all. Safe because nothing moves the lane branch
 * while that run goes: the test commands (like the agent's tools) run with the git dir
 * read-only (src/sandbox/plan.ts), and the lane's own git steps wait for the run. They
 * count only when that run is green at its first attempt and the status finds the branch
 * fresh (tests.ts freshen); anything else discards them and the reads run after the tests.
 */
export function startLandingReadsBesideTests(run: LaneRun): EarlyLandingReads | null {
  if (run.packet.merge.mode === 'none' || !patched(LANDING_READS_BESIDE_TESTS_PATCH)) return null;
  return { status: new EarlyStart(landingReads(run).branchStatus()), checks: startChecks(run) };
}

/**
 * Older runs (before lanes-landing-reads-beside-tests), and a green run whose early reads
 * were discarded (a retried test run): the diff reads start beside the branch status that
 * ends the green test run. They count only if that status finds the branch fresh at once
 * and the lane goes straight on to land (run.landingChecks).
 */
export function startLandingChecks(run: LaneRun): EarlyLandingReads | null {
  if (run.packet.merge.mode === 'none' || !patched(LANDING_CHECKS_EARLY_PATCH)) return null;
  return { status: null, checks: startChecks(run) };
}
