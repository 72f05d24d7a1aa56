// Phase 5, closeout: after every end (finished, failed, cancelled) the lane stops
// its MCP servers, removes its candidate and worktree, writes its terminal event
// and report. Never cancelled itself.
import { CancellationScope, patched, sleep, upsertMemo, workflowInfo } from '@temporalio/workflow';
import { classifyFailure, type FailureClass } from '../../failures.js';
import { failureHint, innermostMessage } from '../failure-text.js';
import { FINAL_STATUS_MEMO } from './names.js';
import type { LaneRun } from './run.js';

export interface LaneEnd {
  /** Null when the lane finished. */
  failure: { cls: FailureClass; message: string; hint?: string | null } | null;
  cancelled: boolean;
  finishText: string;
}

/** Patch marker: the last events and the report file are written at once (older runs replay them in order). */
export const FAST_CLOSEOUT_PATCH = 'lanes-fast-closeout';

/** Patch marker: closeout's own candidate removal is the only one (older runs removed it in a step before). */
export const CLOSEOUT_REMOVES_CANDIDATE_PATCH = 'lanes-closeout-removes-candidate';

/** Patch marker: the lane's end records its final `status` answer in the memo (older runs did not). */
export const FINAL_STATUS_MEMO_PATCH = 'lanes-final-status-memo';

/** How long the lane's end waits for webhook deliveries still in flight. */
const WEBHOOK_DRAIN = '30s';

export async function closeLane(run: LaneRun, end: LaneEnd): Promise<void> {
  const { failure } = end;
  await CancellationScope.nonCancellable(async () => {
    if (failure) {
      run.failureClass = failure.cls;
      if (end.cancelled) run.emit('lane.cancelled', failure.message, {}, 'cancelled');
    }
    try {
      await closeout(run);
    } catch (e) {
      run.emit('lane.closeout', `closeout incomplete: ${innermostMessage(e)}`, { hint: failureHint(e) }, classifyFailure(e));
    }
    // The terminal event comes last, after closeout, so it is the lane's final word.
    if (failure) {
      run.hint = failure.hint ?? null;
      run.setState('failed', 'lane.failed', failure.message, { greenLevel: run.greenLevel, hint: run.hint }, failure.cls);
    }
    else run.setState('finished', 'lane.finished', end.finishText, { greenLevel: run.greenLevel, landed: run.landed, mergeCommit: run.mergeCommit });
    run.report = run.finalReport();
    // From here on the `status` query's answer is final: the terminal event and the report are
    // set, a message is refused once there is a report, and nothing below changes the state.
    // Recorded with this run's id: a later run inheriting the memo never answers with it.
    if (patched(FINAL_STATUS_MEMO_PATCH)) upsertMemo({ [FINAL_STATUS_MEMO]: { runId: workflowInfo().runId, summary: run.summary(), state: run.status() } });
    if (patched(FAST_CLOSEOUT_PATCH)) {
      // Different files on the lane's host (events.jsonl, report.json): no order needed.
      await Promise.all([run.flush(), run.acts.misc.writeReport({ laneId: run.laneId, report: run.report })]);
    } else {
      await run.flush();
      await run.acts.misc.writeReport({ laneId: run.laneId, report: run.report });
    }
    // Let the last deliveries land, but never hold the lane's end for long.
    if (run.webhooks.length) await Promise.race([Promise.all(run.webhooks), sleep(WEBHOOK_DRAIN)]);
  });
}

async function closeout(run: LaneRun) {
  const { packet, laneId, repoPath, worktreePath } = run;
  const out = { worktreeRemoved: false, branchDeleted: false, keptReason: undefined as string | undefined, mcpStopped: 0, mcpSurvivors: [] as number[] };
  const mcp = Object.keys(packet.mcp.servers).length > 0 ? await run.acts.misc.stopMcp({ laneId }) : null;
  if (mcp) Object.assign(out, { mcpStopped: mcp.stopped, mcpSurvivors: mcp.survivors });
  // No worktree, no candidate: a lane refused by its preflight has nothing in the repo to clean.
  if (worktreePath && run.gitCloseout) {
    // Done by the landing's fast-forward (land.ts), with what it had read.
    Object.assign(out, run.gitCloseout);
  } else if (worktreePath) {
    // The closeout activity removes the candidate too; older runs asked for it separately first.
    if (!patched(CLOSEOUT_REMOVES_CANDIDATE_PATCH)) await run.acts.git.removeCandidate({ laneId, repoPath });
    const c = await run.acts.git.closeout({ laneId, repoPath, worktreePath, branch: run.branch, target: run.target, force: false });
    Object.assign(out, c);
  }
  const what = !worktreePath ? 'no worktree was created' : out.worktreeRemoved ? 'worktree removed' : 'worktree kept';
  run.emit('lane.closeout', `${what}${out.keptReason ? `; ${out.keptReason}` : ''}`, { ...out });
  return out;
}
