// The landing's two reads of the lane's diff (the scope check, the landing screen) and
// their early start: beside the branch status that ends a green test run, so they go
// out in the same workflow task and land() (land.ts) finds them done.
import { patched } from '@temporalio/workflow';
import type { ScreenResult } from '../../git/screen.js';
import { EarlyStart } from './early-start.js';
import type { LaneRun } from './run.js';

/** Patch marker: the scope check and the screen start beside the branch status that ends a green test run. */
export const LANDING_CHECKS_EARLY_PATCH = 'lanes-landing-checks-early';

/** The landing's two reads of the lane's diff. */
export function landingReads(run: LaneRun) {
  const { packet, laneId } = run;
  return {
    scopeCheck: () => run.acts.git.scopeCheck({ laneId, worktreePath: run.worktreePath!, base: packet.repo.baseBranch, writeManifest: packet.scope.writeManifest }),
    screenDiff: () => run.acts.git.screenDiff({ laneId, worktreePath: run.worktreePath!, base: packet.repo.baseBranch, settings: packet.screen }),
  };
}

/** The scope check and the landing screen, started before the lane knows it goes on to land. */
export interface EarlyLandingChecks {
  scope: EarlyStart<{ changed: string[]; outside: string[] }>;
  screen: EarlyStart<ScreenResult>;
}

/**
 * Starts the landing's reads beside the branch status that ends a green test run (tests.ts).
 * They count only if that status finds the branch fresh at once and the lane goes straight
 * on to land (run.landingChecks); anything else in between discards them.
 */
export function startLandingChecks(run: LaneRun): EarlyLandingChecks | null {
  if (run.packet.merge.mode === 'none' || !patched(LANDING_CHECKS_EARLY_PATCH)) return null;
  const { scopeCheck, screenDiff } = landingReads(run);
  return { scope: new EarlyStart(scopeCheck()), screen: new EarlyStart(screenDiff()) };
}

