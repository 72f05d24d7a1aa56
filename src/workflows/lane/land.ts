// Phase 4, land (DESIGN.md "Landing a lane"): the scope check, the landing screen, the review gate,
// then a candidate from the target head, tested, and a fast-forward only.
import { patched } from '@temporalio/workflow';
import { describeScreenFindings, laneCommandSandbox } from '../containment.js';
import { type CandidateReuseDecision, candidateCommands, decideCandidateReuse, decideLanding } from '../policy.js';
import { EarlyStart } from './early-start.js';
import { landingReads } from './landing-checks.js';
import { decide, withRecovery } from './escalation.js';
import type { LaneRun } from './run.js';
import { runTests } from './tests.js';

/** Patch marker: the landing screen starts beside the scope check (older runs: one after the other). */
export const LANDING_CHECKS_TOGETHER_PATCH = 'lanes-landing-checks-together';

/** Patch marker: the events write in flight is awaited before the fast-forward, not before the candidate. */
export const WRITE_BEFORE_ADVANCE_PATCH = 'lanes-write-before-advance';

/** Patch marker: advanceTarget returns the landed commits (older runs called landedCommits after it). */
export const LANDED_COMMITS_IN_ADVANCE_PATCH = 'lanes-landed-commits-in-advance';

/** Patch marker: a lane with no MCP servers has its git closeout done by the fast-forward's activity once it landed (older runs: in closeout's own activity). */
export const CLOSEOUT_WITH_ADVANCE_PATCH = 'lanes-closeout-with-advance';

/** Patch marker: a candidate whose tree is exactly the tested worktree tree is written with plumbing and not tested again (older runs: always built and tested). */
export const CANDIDATE_REUSE_PATCH = 'lanes-candidate-reuse';

/** The review class: blocks until `--approve` (the lane goes on) or `--abort`; a `--retry` asks again. */
async function review(run: LaneRun, why: string, recommended: string): Promise<void> {
  for (;;) {
    const next = await decide(run, { step: 'landing', cls: 'review', attemptsUsed: 0 }, why, { recommended });
    if (next.do === 'resolved' && next.resolution.action === 'approve') return;
  }
}

/** Returns the finish text; throws LaneStop when the lane may not or could not land. */
export async function land(run: LaneRun): Promise<string> {
  const { packet, laneId, repoPath, branch, target } = run;
  // Set by the green test run just before, when nothing has changed the lane since.
  let early = run.landingChecks;
  run.landingChecks = null;
  // Each refusal below asks decideRecovery (recovery.ts): they fail the lane today; were one to block
  // instead, a --retry checks again (the operator may have fixed the lane branch), it never skips the check.
  let landing = decideLanding(packet, run.greenLevel);
  if (!landing.land && packet.merge.mode === 'none') return `finished at green level ${run.greenLevel} without merging (${landing.reason})`;
  for (; !landing.land; landing = decideLanding(packet, run.greenLevel)) {
    early = null;
    await decide(run, { step: 'landing', cls: 'test', attemptsUsed: 0 }, `not merged: ${landing.reason}`);
  }

  const { scopeCheck, screenDiff } = landingReads(run);
  // Both only read the lane's diff: the screen starts beside the scope check, its outcome is decided after it as before.
  const together = early !== null || patched(LANDING_CHECKS_TOGETHER_PATCH);
  const earlyScope = early?.scope ?? null;
  const earlyScreen = early?.screen ?? (together ? new EarlyStart(screenDiff()) : null);

  // Scoped diff: every changed file (bash writes included) must be inside the write manifest.
  let scopeRuns = 0;
  const checkScope = () =>
    withRecovery(run, 'landing', 'scope check', () => {
      scopeRuns += 1;
      return earlyScope ? earlyScope.take(scopeCheck) : scopeCheck();
    });
  let scope = await checkScope();
  for (; scope.outside.length > 0; scope = await checkScope()) {
    await decide(run, { step: 'landing', cls: 'manifest', attemptsUsed: 0 }, `not merged: ${scope.outside.length} changed file(s) outside scope.writeManifest: ${scope.outside.slice(0, 10).join(', ')}`);
  }
  // A scope check run again followed a recovery or a person's retry: the diff may have changed since the early screen.
  if (scopeRuns > 1) earlyScreen?.discard();

  // Landing screen: what tests cannot judge (symlinks out, big blobs, executables, submodules, .git* files).
  if (together || patched('landing-screen')) {
    const screenOnce = () => withRecovery(run, 'landing', 'landing screen', () => (earlyScreen ? earlyScreen.take(screenDiff) : screenDiff()));
    let screen = await screenOnce();
    for (; screen.refused.length > 0; screen = await screenOnce()) {
      await decide(run, { step: 'landing', cls: 'manifest', attemptsUsed: 0 }, `not merged: the landing screen refused ${describeScreenFindings(screen.refused)}`);
    }
    // Findings a person may accept: a review of those files.
    if (screen.blocked.length > 0) {
      await review(run, `landing screen: ${describeScreenFindings(screen.blocked)} need(s) approval`, `check those files in ${branch}, then \`lanes resolve ${laneId} --approve\` (or --abort); packet \`screen\` settings change the defaults`);
    }
  }

  // Review gate: a person approves the tested diff before it lands.
  if (packet.merge.requireReview) {
    await review(run, `review required before merging ${branch} into ${target} (${scope.changed.length} file(s) changed)`, `review the diff of ${branch} against ${target}, then \`lanes resolve ${laneId} --approve\` (or --abort)`);
  }

  // Every event so far is in events.jsonl before the target can change (older runs wrote it before landing
  // began; since lanes-write-before-advance, the candidate is built beside the write, the fast-forward waits).
  const writeBeforeAdvance = patched(WRITE_BEFORE_ADVANCE_PATCH);
  if (!writeBeforeAdvance) await run.eventsWritten();
  let rebuilds = 0;
  const candidateRun = { commands: candidateCommands(packet.acceptance), timeoutMs: packet.acceptance.timeoutMs, sandbox: laneCommandSandbox(packet) };
  // Only the first candidate may stand on the worktree's run; a rebuild (target moved, red, conflict) is always tested.
  let mayReuse = true;
  for (let attempt = 1; ; attempt++) {
    const wanted: CandidateReuseDecision = mayReuse ? decideCandidateReuse(packet, run.testedRun, candidateRun) : { reuse: false, reason: 'the candidate is being built again' };
    mayReuse = false;
    const reuse = wanted.reuse && patched(CANDIDATE_REUSE_PATCH) ? { testedHead: wanted.head } : undefined;
    const candidate = await withRecovery(run, 'candidate', 'merge candidate', () =>
      run.acts.git.prepareCandidate({
        laneId,
        repoPath,
        branch,
        target,
        mode: packet.merge.mode as 'merge' | 'squash' | 'ff_only',
        message: `Merge ${branch}: ${packet.objective.split('\n')[0]!.slice(0, 60)}`,
        author: packet.commit.author,
        ...(reuse ? { reuse } : {}),
      }),
    );
    if (candidate.alreadyLanded) {
      run.landed = true;
      run.greenLevel = 'merge_ready';
      break;
    }
    if (candidate.conflict) {
      // Blocks (merge_conflict has no automatic recovery); --retry builds the candidate again.
      await decide(run, { step: 'candidate', cls: 'merge_conflict', attemptsUsed: 0 }, `merging ${branch} into ${target} conflicts`);
      continue;
    }
    // The host's facts decide again here, with the same rule: never land a candidate the rule would test.
    const verdict = candidate.reuse ? decideCandidateReuse(packet, run.testedRun, candidateRun, candidate.reuse) : wanted;
    if (candidate.reuse?.reused && !verdict.reuse) continue;
    if (verdict.reuse && candidate.reuse?.reused) {
      run.greenLevel = 'merge_ready';
      run.candidateTests = { retested: false, reason: `tree ${candidate.reuse.laneTree} ran green at ${verdict.level} (${verdict.attemptKey}) on a clean checkout and ${target} has nothing new`, tree: candidate.reuse.laneTree, level: verdict.level, attemptKey: verdict.attemptKey };
    } else {
      const check = await runTests(
        run,
        {
          laneId,
          cwd: candidate.candidatePath,
          level: 'merge_ready',
          commands: candidateRun.commands,
          timeoutMs: candidateRun.timeoutMs,
          attemptKey: `land-${attempt}`,
          ...candidateRun.sandbox,
        },
        'candidate',
      );
      if (!check.passed) {
        run.emit('lane.red', `merge_ready tests red on the candidate (${target} at ${candidate.targetHead.slice(0, 10)})`, { level: 'merge_ready', attempt }, 'test');
        await run.acts.git.removeCandidate({ laneId, repoPath });
        await decide(run, { step: 'candidate', cls: 'test', attemptsUsed: 0 }, `merge_ready tests failed on the merge candidate; ${target} unchanged`);
        continue;
      }
      run.greenLevel = 'merge_ready';
      run.candidateTests = { retested: true, reason: verdict.reuse ? 'this lane began before candidates could be reused' : verdict.reason, tree: null, level: null, attemptKey: null };
      run.emit('lane.green', `merge_ready tests passed on the candidate`, { level: 'merge_ready', attempt });
    }
    const tests = run.candidateTests!;
    run.emit(
      'lane.merge.ready',
      `candidate ${candidate.candidateHead.slice(0, 10)} ready to fast-forward ${target}${tests.retested ? '' : `: not retested, ${tests.reason}`}`,
      { candidateHead: candidate.candidateHead, targetHead: candidate.targetHead, retested: tests.retested, reason: tests.reason, ...(tests.retested ? {} : { tree: tests.tree, level: tests.level, attemptKey: tests.attemptKey }) },
    );
    if (writeBeforeAdvance) await run.eventsWritten();
    // Nothing runs in the worktree any more, and no MCP server must stop before it goes: the same activity closes out once landed.
    const closeout = run.worktreePath && Object.keys(packet.mcp.servers).length === 0 && patched(CLOSEOUT_WITH_ADVANCE_PATCH) ? { worktreePath: run.worktreePath, branch } : undefined;
    const adv = await withRecovery(run, 'candidate', `fast-forward of ${target}`, () =>
      run.acts.git.advanceTarget({ laneId, repoPath, target, candidateHead: candidate.candidateHead, expectedTargetHead: candidate.targetHead, ...(closeout ? { closeout } : {}) }),
    );
    if (adv.landed) {
      run.landed = true;
      run.mergeCommit = candidate.candidateHead;
      // closeout.ts reports it (a closeout that failed there, closeoutError, runs again in closeout.ts).
      run.gitCloseout = adv.closeout ?? null;
      // advanceTarget lists what it landed (one round trip less); older runs asked separately.
      run.landedCommits =
        patched(LANDED_COMMITS_IN_ADVANCE_PATCH) && adv.landedCommits
          ? adv.landedCommits
          : await run.acts.git.landedCommits({ repoPath, from: candidate.targetHead, to: candidate.candidateHead });
      break;
    }
    if (adv.reason === 'target_moved') {
      await run.acts.git.removeCandidate({ laneId, repoPath });
      // merge_forward: rebuild the candidate on the new head (LANDING_REBUILDS times), then block; --retry starts the count again.
      const next = await decide(run, { step: 'candidate', cls: 'branch_divergence', attemptsUsed: rebuilds }, `cannot fast-forward ${target}: it moved ${rebuilds + 1} times while the lane was landing`, {
        recommended: `when ${target} is quiet, \`lanes resolve ${laneId} --retry\` rebuilds and tests the candidate again`,
      });
      if (next.do === 'merge_forward') {
        rebuilds += 1;
        run.emit('branch.stale_against_main', `${target} moved during landing; rebuilding the candidate`, { attempt });
      } else rebuilds = 0;
      continue;
    }
    // target_dirty: the target's checkout has uncommitted changes; Lanes never touches it. Block with the fix, land on --retry.
    await run.acts.git.removeCandidate({ laneId, repoPath });
    const where = adv.checkoutPath ?? repoPath;
    const paths = adv.dirtyPaths?.length ? ` (${adv.dirtyPaths.slice(0, 5).join(', ')})` : '';
    await decide(run, { step: 'candidate', cls: 'workspace_mismatch', attemptsUsed: 0 }, `cannot fast-forward ${target}: its checkout ${where} has uncommitted changes${paths}`, {
      recommended: `commit or stash the changes in ${where}, then \`lanes resolve ${laneId} --retry\``,
    });
  }
  run.emit('lane.merged', `landed on ${target}${run.mergeCommit ? ` at ${run.mergeCommit.slice(0, 10)}` : ' (already landed)'}`, { target, mergeCommit: run.mergeCommit, mode: packet.merge.mode });
  return `finished: merged into ${target} at green level merge_ready`;
}
