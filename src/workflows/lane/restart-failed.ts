// `lanes restart` of a failed lane, the workflow side. The failed run has closed; the
// client started this new run under the same workflow id with the failed run's carried
// state (input.restart). The lane goes on from there: the same event log (seq continues,
// events.jsonl appended), its commits and usage, a fresh pass, transcript and recovery
// attempts. Prepare runs again (the failed run's closeout removed the worktree; the lane
// branch, kept when it has unlanded commits, is checked out again), then the worktree goes
// back to the checkpoint (or the base).
import type { LaneRun } from './run.js';
import { claimHost } from './hosts.js';
import { failedRestartTarget } from './steering-api.js';

/** Before prepare: the lane is live again (lane.restarted), on a host. */
export async function reopenFailedLane(run: LaneRun): Promise<void> {
  const r = run.input.restart!;
  const resetTo = failedRestartTarget(r.prior, r.from);
  if (r.from === 'base') run.commits = [];
  run.failureClass = null;
  run.hint = null;
  run.greenLevel = 'none';
  run.loop = { pass: run.loop.pass + 1, turnInPass: 0, recoveries: 0, extraPrompt: undefined };
  run.transcriptFrom = run.turn + 1;
  const failedRunId = r.prior.events.at(-1)?.runId ?? null;
  const where = r.from === 'base' ? 'the base' : 'the last checkpoint';
  run.setState('spawning', 'lane.restarted', `failed lane restarted from ${where}${resetTo ? ` ${resetTo.slice(0, 10)}` : ''}${r.by ? ` by ${r.by}` : ''}${r.note ? `: ${r.note}` : ''}`, {
    from: r.from,
    head: resetTo,
    by: r.by ?? null,
    note: r.note ?? null,
    pass: run.loop.pass,
    transcriptFrom: run.transcriptFrom,
    failedRunId,
  });
  run.hostQueue = await claimHost(run);
}

/** After prepare: the recreated worktree and the lane branch back to the restart's commit. */
export async function resetRestartedLane(run: LaneRun): Promise<void> {
  const r = run.input.restart!;
  const to = failedRestartTarget(r.prior, r.from);
  // No earlier worktree: prepare has just made the branch from the base; nothing to undo.
  if (!to || !run.worktreePath) return;
  await run.acts.git.resetWorktree({ laneId: run.laneId, worktreePath: run.worktreePath, to });
}
