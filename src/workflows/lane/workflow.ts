// laneWorkflow: one task packet becomes one durable lane. It reads as the
// lane's phases; each phase is its own module, the decisions are pure functions
// (policy.ts, recovery.ts), all state is one LaneRun.
import { CancelledFailure, ContinueAsNew, isCancellation, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import { classifyFailure, laneFailure } from '../../failures.js';
import { LANE_BRANCH, LANE_PACKET_ID, LANE_REPO } from '../../shared/search-attributes.js';
import { failureHint, innermostMessage } from '../failure-text.js';
import { fixupPrompt } from '../policy.js';
import { failingTail } from '../summary.js';
import { runAgentPass } from './agent.js';
import { installAgentTurnHandler, runExternalAgentPass } from './external-agent.js';
import { eventsQuery, type LaneInput, type LaneReport, restartStateQuery, stateQuery, statusQuery, summaryQuery } from './api.js';
import { closeLane, type LaneEnd } from './closeout.js';
import { decide, installGateHandlers, LaneRestart, LaneStop } from './escalation.js';
import { bindHost, claimHost } from './hosts.js';
import { land } from './land.js';
import { prepareLane } from './prepare.js';
import { reopenFailedLane, resetRestartedLane } from './restart-failed.js';
import { LaneRun } from './run.js';
import { installSteeringHandlers, restartInPlace } from './steering.js';
import { runWorktreeTests } from './tests.js';

export async function laneWorkflow(input: LaneInput): Promise<LaneReport> {
  const run = LaneRun.fromInput(input);
  setHandler(stateQuery, () => run.status());
  setHandler(eventsQuery, (afterSeq = 0) => run.eventsAfter(afterSeq));
  setHandler(summaryQuery, () => run.summary());
  setHandler(statusQuery, () => ({ summary: run.summary(), state: run.status() }));
  installGateHandlers(run);
  installSteeringHandlers(run);
  installAgentTurnHandler(run);
  // What `lanes restart` of this lane, once it has failed, starts the next run from.
  setHandler(restartStateQuery, () => ({ input: { ...input, resume: undefined, restart: undefined }, resume: run.toResume() }));

  if (input.restart && !input.resume) await reopenFailedLane(run);
  else if (!input.resume) await start(run);
  bindHost(run);

  const end = await runToEnd(run);
  // Closeout runs even after cancellation; it must not be cancelled itself.
  await closeLane(run, end);

  if (end.failure) {
    // A CancelledFailure marks the run Canceled in Temporal. The SDK drops a cancelled
    // run's details, so clients read the report from the `state` query (or report.json).
    if (end.cancelled) throw new CancelledFailure(end.failure.message);
    throw laneFailure(end.failure.cls, end.failure.message, { report: run.report });
  }
  return run.report!;
}

/** lane.started, then a host for the lane's worktree and processes. */
async function start(run: LaneRun): Promise<void> {
  const { packet, laneId, repoPath, branch } = run;
  upsertSearchAttributes([
    { key: LANE_PACKET_ID, value: packet.id },
    { key: LANE_REPO, value: repoPath },
    { key: LANE_BRANCH, value: branch },
  ]);
  run.emit('lane.started', `lane ${laneId} started for ${repoPath} (${branch} from ${packet.repo.baseBranch})`, {
    packetId: packet.id,
    fingerprint: run.input.fingerprint,
    provider: packet.agent.provider,
    model: packet.agent.model,
    scripted: run.scripted,
  });
  run.hostQueue = await claimHost(run);
}

/** The phases in order; how the lane ended (continue-as-new is not an end: it propagates). */
async function runToEnd(run: LaneRun): Promise<LaneEnd> {
  try {
    if (!run.input.resume) await prepareLane(run);
    if (run.input.restart && !run.input.resume) await resetRestartedLane(run);
    await workUntilGreen(run);
    return { failure: null, cancelled: false, finishText: await land(run) };
  } catch (err) {
    if (err instanceof ContinueAsNew) throw err;
    if (err instanceof LaneRestart) return restartInPlace(run, err.request);
    if (isCancellation(err)) return { failure: { cls: 'cancelled', message: 'lane cancelled on request', hint: null }, cancelled: true, finishText: '' };
    if (err instanceof LaneStop) return { failure: { cls: err.failureClass, message: err.message, hint: err.hint ?? null }, cancelled: false, finishText: '' };
    // The cause's own words and hint, never the wrapper's "Activity task failed".
    return { failure: { cls: classifyFailure(err), message: innermostMessage(err), hint: failureHint(err) }, cancelled: false, finishText: '' };
  }
}

/**
 * Agent passes and test runs until the worktree levels are green. A red run asks
 * decideRecovery (step `tests`): a fix-up pass with the failing output, or a block
 * (a --retry runs another pass with the same output; red again blocks again).
 */
async function workUntilGreen(run: LaneRun): Promise<void> {
  const { packet, loop } = run;
  for (;;) {
    // builtin: Lanes' own turn loop; claude_code, codex, command: one external agent pass.
    await (packet.agent.kind === 'builtin' ? runAgentPass : runExternalAgentPass)(run, loop.pass, loop.extraPrompt);
    const { red } = await runWorktreeTests(run, loop.pass);
    await run.flushSoon();
    if (!red && run.inbox.length === 0) return;
    if (!red) {
      // Green, but an operator message arrived after the agent's last turn: it gets a pass.
      loop.extraPrompt = undefined;
      loop.pass += 1;
      continue;
    }
    const why = `${red.level} tests still red after ${loop.recoveries} recovery attempt(s)`;
    const next = await decide(run, { step: 'tests', cls: 'test', attemptsUsed: loop.recoveries }, why, { data: { level: red.level, failingTail: failingTail(red.failed) } });
    // A fix-up counts an attempt; after a --retry the next red blocks again at once.
    if (next.do === 'fixup_turn') loop.recoveries += 1;
    loop.extraPrompt = fixupPrompt(red.level, red.failed);
    loop.pass += 1;
  }
}
