// Phase 3, tests: the packet's acceptance levels in the lane worktree, weakest
// first, on a branch kept fresh against its base per the staleness policy.
import type { AcceptanceInput, AcceptanceResult } from '../../activities/tests.js';
import { laneCommandSandbox } from '../containment.js';
import { levelsToRun, reachedLevel, type TestedRun } from '../policy.js';
import { testsFinished, testsStarted } from '../test-events.js';
import { type GreenLevel, maxLevel, type WorktreeLevel } from '../state.js';
import { decide, withRecovery } from './escalation.js';
import { type EarlyLandingReads, landingReads, startLandingChecks, startLandingReadsBesideTests } from './landing-checks.js';
import type { LaneRun } from './run.js';

export interface RedRun {
  level: WorktreeLevel;
  failed: { name: string; exitCode: number | null; tail: string }[];
}

/**
 * Runs the worktree levels in order; returns the first red, if any. Before the
 * first broad level (package/workspace) the branch is freshened; if that
 * changed it, the run starts over so every level sees the same code.
 */
export async function runWorktreeTests(run: LaneRun, pass: number): Promise<{ reached: GreenLevel; red: RedRun | null }> {
  const { packet, laneId } = run;
  for (;;) {
    run.testRun += 1;
    const attemptKey = `pass-${pass}-run-${run.testRun}`;
    run.greenLevel = 'none';
    let restarted = false;
    let red: RedRun | null = null;
    const results: { level: WorktreeLevel; passed: boolean }[] = [];
    const levels = levelsToRun(packet.acceptance);
    run.testedRun = null;
    // The landing's reads, started beside the last level's test run (landing-checks.ts).
    let early: EarlyLandingReads | null = null;
    for (const level of levels) {
      if (level !== 'targeted' && !results.some((r) => r.level !== 'targeted') && (await freshen(run, `${level} tests`)) === 'updated') {
        restarted = true;
        break;
      }
      // Only the first run after a step that looked at the worktree knows what it started on.
      const startedOn = run.checkout;
      run.checkout = null;
      let calls = 0;
      const last = level === levels.at(-1);
      const r = await withRecovery(run, 'tests', `${level} tests`, () => {
        calls += 1;
        const tests = runTests(run, { laneId, cwd: run.worktreePath!, level, commands: packet.acceptance[level], timeoutMs: packet.acceptance.timeoutMs, attemptKey, ...laneCommandSandbox(packet) }, 'worktree');
        // Same workflow task as the run's first attempt: the reads finish while the tests run.
        if (last && calls === 1) early = startLandingReadsBesideTests(run);
        return tests;
      });
      results.push({ level, passed: r.passed });
      if (r.passed && last) run.testedRun = testedRun(run, level, attemptKey, startedOn, calls > 1 || (r.ranInAttempt ?? 2) > 1, results);
      // A run that was re-run (a recovery, an operator's --retry, a new activity attempt) may have
      // waited through anything, a recreated worktree included: its landing reads start afresh.
      if (calls > 1 || (r.ranInAttempt ?? 1) > 1) early = null;
      if (!r.passed) {
        const failed = r.results.filter((x) => x.exitCode !== 0 || x.timedOut).map((x) => ({ name: x.name, exitCode: x.exitCode, tail: x.tail }));
        run.emit('lane.red', `${level} tests red: ${failed.map((f) => f.name).join(', ')}`, { level, attemptKey, results: r.results.map(({ tail: _t, ...rest }) => rest) }, 'test');
        red = { level, failed };
        break;
      }
      run.greenLevel = maxLevel(run.greenLevel, level);
      run.emit('lane.green', `${level} tests passed (${r.results.length} command(s))`, { level, attemptKey });
    }
    if (restarted) continue;
    // Red on a stale branch is re-run after merge-forward before it counts as a regression;
    // green is re-checked on a fresh branch before landing.
    // Green: the landing's reads started beside the last test run are handed on; without them
    // (older runs, a re-run) the diff reads start beside the branch status. Red discards them:
    // the fix-up commits, so the next green run reads again.
    const fresh = await freshen(run, red ? 'counting red tests' : 'landing', red ? null : (early ?? startLandingChecks(run)));
    if (fresh === 'updated') continue;
    return { reached: reachedLevel(results), red };
  }
}

/** The top level's green run as landing may reuse it: on which clean commit it started, or why it did not (policy.ts TestedRun). */
function testedRun(run: LaneRun, level: WorktreeLevel, attemptKey: string, startedOn: LaneRun['checkout'], retried: boolean, before: { level: WorktreeLevel }[]): TestedRun {
  const { acceptance } = run.packet;
  const earlier = before.filter((r) => r.level !== level).map((r) => r.level);
  const why = retried
    ? `the ${level} run was retried after an attempt that may have left files in the worktree`
    : earlier.length > 0
      ? `the ${earlier.join(', ')} tests ran in the worktree before the ${level} run`
      : !startedOn
        ? `the worktree was not looked at after the step before the ${level} run`
        : !startedOn.clean
          ? `the worktree held ignored, untracked or uncommitted files when the ${level} run started`
          : undefined;
  return { level, attemptKey, commands: acceptance[level], timeoutMs: acceptance.timeoutMs, sandbox: laneCommandSandbox(run.packet), head: why ? null : startedOn!.head, ...(why ? { why } : {}) };
}

/** One acceptance level, announced before (command names) and after (exit codes, durations). */
export async function runTests(run: LaneRun, input: AcceptanceInput, where: 'worktree' | 'candidate'): Promise<AcceptanceResult> {
  const started = testsStarted(input.level, input.attemptKey, input.commands, where);
  run.emit('lane.tests.started', started.text, started.data);
  const r = await run.acts.tests.runAcceptance(input);
  const finished = testsFinished(input.level, input.attemptKey, r);
  run.emit('lane.tests.finished', finished.text, finished.data);
  return r;
}

/**
 * Compares the lane branch with its base and applies the packet's staleness
 * policy. Returns 'updated' when the lane branch changed (tests must re-run).
 */
async function freshen(run: LaneRun, before: string, early: EarlyLandingReads | null = null): Promise<'fresh' | 'updated' | 'ignored'> {
  const { packet, laneId, branch } = run;
  const base = packet.repo.baseBranch;
  const { branchStatus } = landingReads(run);
  run.landingChecks = null;
  let earlyStatus = early?.status ?? null;
  let checks = 0;
  for (;;) {
    const st = await withRecovery(run, 'freshen', 'branch status', () => {
      checks += 1;
      return earlyStatus ? earlyStatus.take(branchStatus) : branchStatus();
    });
    if (st.behind === 0) {
      // Fresh at the first look, nothing recovered or waited for: the early reads saw what landing sees.
      // A status read beside the tests may miss a base that moved while they ran. That is the race
      // every freshness look has with the base (it can move just after it too), and landing closes
      // it: the candidate merges the target head read at prepareCandidate, a candidate whose target
      // has anything the lane lacks is never reused but tested, and advanceTarget is a compare-and-swap.
      if (checks === 1) run.landingChecks = early?.checks ?? null;
      return 'fresh';
    }
    if (earlyStatus && checks === 1) {
      // Stale when the tests started: look again now, as without the early read (the early diff reads are discarded).
      earlyStatus = null;
      continue;
    }
    const policy = packet.branch.staleness;
    const stale = `${branch} is ${st.behind} commit(s) behind ${base} before ${before}; policy ${policy}`;
    run.emit('branch.stale_against_main', stale, { ...st, policy, before });
    // merge_forward (merge or rebase, per policy), warn (ignore) or fail.
    const next = await decide(run, { step: 'freshen', cls: 'branch_divergence', attemptsUsed: 0 }, stale);
    if (next.do === 'warn') return 'ignored';
    const input = { laneId, worktreePath: run.worktreePath!, base, author: packet.commit.author };
    const r = await withRecovery(run, 'freshen', policy === 'rebase' ? 'rebase onto the base' : 'merge forward', () => (policy === 'rebase' ? run.acts.git.rebaseOntoBase(input) : run.acts.git.mergeForward(input)));
    if (r.conflict) {
      // Never land on top of a conflict: block until someone resolves it on the lane branch.
      await decide(run, { step: 'freshen', cls: 'merge_conflict', attemptsUsed: 0 }, `${policy === 'rebase' ? 'rebasing' : 'merging'} ${base} into ${branch} conflicts in ${(r.conflictFiles ?? []).join(', ') || 'some files'}`);
      continue;
    }
    if (r.sha && policy === 'merge_forward') run.addCommit(r.sha, 'merge-forward');
    // The next test run starts on the merged checkout (a rebase reports nothing: unknown, not clean).
    run.checkout = r.checkout ?? null;
    run.emit('branch.merged_forward', `${policy === 'rebase' ? 'rebased onto' : 'merged forward'} ${base} at ${st.baseHead.slice(0, 10)}`, { policy, sha: r.sha ?? null, baseHead: st.baseHead });
    return 'updated';
  }
}
