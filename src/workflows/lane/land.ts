// Phase 4, land (DESIGN.md "Landing a lane"): the scope check, the landing screen, the review gate,
// then a candidate from the target head, tested, and a fast-forward only.
import { patched } from '@temporalio/workflow';
import { describeScreenFindings, laneCommandSandbox } from '../containment.js';
import { candidateCommands, decideLanding } from '../policy.js';
import { escalate, LaneStop } from './escalation.js';
import type { LaneRun } from './run.js';
import { runTests } from './tests.js';

/** Patch marker: advanceTarget returns the landed commits (older runs called landedCommits after it). */
export const LANDED_COMMITS_IN_ADVANCE_PATCH = 'lanes-landed-commits-in-advance';

/**
 * Attempts at building a candidate when the target keeps moving under the lane, before it
 * blocks (branch_divergence; `--retry` gives it as many again). Eight: with many lanes on one
 * target, lanes on one host take turns (src/git/landing-slot.ts) and lose a race only to a
 * landing from another host, so a lane among ten on two hosts loses at most about five.
 */
export const MAX_LANDING_ATTEMPTS = 8;

/** Returns the finish text; throws LaneStop when the lane may not or could not land. */
export async function land(run: LaneRun): Promise<string> {
  const { packet, laneId, repoPath, branch, target } = run;
  const landing = decideLanding(packet, run.greenLevel);
  if (!landing.land) {
    if (packet.merge.mode === 'none') return `finished at green level ${run.greenLevel} without merging (${landing.reason})`;
    throw new LaneStop('test', `not merged: ${landing.reason}`);
  }

  // Scoped diff: every changed file (bash writes included) must be inside the write manifest.
  const scope = await run.acts.git.scopeCheck({ laneId, worktreePath: run.worktreePath!, base: packet.repo.baseBranch, writeManifest: packet.scope.writeManifest });
  if (scope.outside.length > 0) {
    throw new LaneStop('manifest', `not merged: ${scope.outside.length} changed file(s) outside scope.writeManifest: ${scope.outside.slice(0, 10).join(', ')}`);
  }

  // Landing screen: what tests cannot judge (symlinks out, big blobs, executables, submodules, .git* files).
  if (patched('landing-screen')) {
    const screen = await run.acts.git.screenDiff({ laneId, worktreePath: run.worktreePath!, base: packet.repo.baseBranch, settings: packet.screen });
    if (screen.refused.length > 0) throw new LaneStop('manifest', `not merged: the landing screen refused ${describeScreenFindings(screen.refused)}`);
    while (screen.blocked.length > 0) {
      const r = await escalate(run, 'manifest', `landing screen: ${describeScreenFindings(screen.blocked)} need(s) approval`, {
        approvable: true,
        recommended: `check those files in ${branch}, then \`lanes resolve ${laneId} --approve\` (or --abort); packet \`screen\` settings change the defaults`,
      });
      if (r.action === 'approve') break;
    }
  }

  // Review gate: a person approves the tested diff before it lands.
  while (packet.merge.requireReview) {
    const r = await escalate(run, 'validator', `review required before merging ${branch} into ${target} (${scope.changed.length} file(s) changed)`, {
      approvable: true,
      recommended: `review the diff of ${branch} against ${target}, then \`lanes resolve ${laneId} --approve\` (or --abort)`,
    });
    if (r.action === 'approve') break;
  }

  for (let attempt = 1; ; attempt++) {
    const candidate = await run.acts.git.prepareCandidate({
      laneId,
      repoPath,
      branch,
      target,
      mode: packet.merge.mode as 'merge' | 'squash' | 'ff_only',
      message: `Merge ${branch}: ${packet.objective.split('\n')[0]!.slice(0, 60)}`,
      author: packet.commit.author,
    });
    if (candidate.alreadyLanded) {
      run.landed = true;
      run.greenLevel = 'merge_ready';
      break;
    }
    if (candidate.conflict) {
      const r = await escalate(run, 'merge_conflict', `merging ${branch} into ${target} conflicts`);
      if (r.action === 'retry') continue;
    }
    const check = await runTests(
      run,
      {
        laneId,
        cwd: candidate.candidatePath,
        level: 'merge_ready',
        commands: candidateCommands(packet.acceptance),
        timeoutMs: packet.acceptance.timeoutMs,
        attemptKey: `land-${attempt}`,
        ...laneCommandSandbox(packet),
      },
      'candidate',
    );
    if (!check.passed) {
      run.emit('lane.red', `merge_ready tests red on the candidate (${target} at ${candidate.targetHead.slice(0, 10)})`, { level: 'merge_ready', attempt }, 'test');
      await run.acts.git.removeCandidate({ laneId, repoPath });
      throw new LaneStop('test', `merge_ready tests failed on the merge candidate; ${target} unchanged`);
    }
    run.greenLevel = 'merge_ready';
    run.emit('lane.green', `merge_ready tests passed on the candidate`, { level: 'merge_ready', attempt });
    run.emit('lane.merge.ready', `candidate ${candidate.candidateHead.slice(0, 10)} ready to fast-forward ${target}`, { candidateHead: candidate.candidateHead, targetHead: candidate.targetHead });
    const adv = await run.acts.git.advanceTarget({ laneId, repoPath, target, candidateHead: candidate.candidateHead, expectedTargetHead: candidate.targetHead });
    if (adv.landed) {
      run.landed = true;
      run.mergeCommit = candidate.candidateHead;
      // advanceTarget lists what it landed (one round trip less); older runs asked separately.
      run.landedCommits =
        patched(LANDED_COMMITS_IN_ADVANCE_PATCH) && adv.landedCommits
          ? adv.landedCommits
          : await run.acts.git.landedCommits({ repoPath, from: candidate.targetHead, to: candidate.candidateHead });
      break;
    }
    if (adv.reason === 'target_moved' && attempt % MAX_LANDING_ATTEMPTS !== 0) {
      run.emit('branch.stale_against_main', `${target} moved during landing; rebuilding the candidate`, { attempt });
      continue;
    }
    // Recoverable by the user (docs/policy.md): block with the fix, and land on --retry.
    await run.acts.git.removeCandidate({ laneId, repoPath });
    if (adv.reason === 'target_dirty') {
      const where = adv.checkoutPath ?? repoPath;
      const paths = adv.dirtyPaths?.length ? ` (${adv.dirtyPaths.slice(0, 5).join(', ')})` : '';
      await escalate(run, 'workspace_mismatch', `cannot fast-forward ${target}: its checkout ${where} has uncommitted changes${paths}`, {
        recommended: `commit or stash the changes in ${where}, then \`lanes resolve ${laneId} --retry\``,
      });
    } else {
      await escalate(run, 'branch_divergence', `cannot fast-forward ${target}: it moved ${attempt} times while the lane was landing`, {
        recommended: `when ${target} is quiet, \`lanes resolve ${laneId} --retry\` rebuilds and tests the candidate again`,
      });
    }
  }
  run.emit('lane.merged', `landed on ${target}${run.mergeCommit ? ` at ${run.mergeCommit.slice(0, 10)}` : ' (already landed)'}`, { target, mergeCommit: run.mergeCommit, mode: packet.merge.mode });
  return `finished: merged into ${target} at green level merge_ready`;
}
