// `lanes restart` of a failed lane: its workflow has closed, so the client starts the
// lane workflow again under the same workflow id (a new run). The server's reuse policy
// ALLOW_DUPLICATE_FAILED_ONLY admits a new run only after a failed (or cancelled,
// terminated, timed-out) one, so a finished lane can never be re-run, also in a race.
import type { Client } from '@temporalio/client';
import { LanesError } from '../errors.js';
import { failedRestartTarget, LANE_WORKFLOW_TYPE, type LaneWorkflow, type RestartFrom, type RestartRequest, type RestartState, restartStateQuery } from '../workflows/lane/api.js';
import { handleFor, laneIdFor, laneStartLabels, workflowIdFor } from './lanes.js';
import { temporalClient } from './temporal-sdk.js';

const { WorkflowExecutionAlreadyStartedError } = temporalClient;

export interface FailedRestartResult {
  laneId: string;
  accepted: true;
  from: RestartFrom;
  /** The commit the lane branch and worktree go back to (null: the lane never had one; it starts from the base). */
  resetTo: string | null;
  /** The failed run, and the new run that continues the lane. */
  failedRunId: string;
  runId: string;
}

export async function restartFailedLane(client: Client, taskQueue: string, lane: string, status: string, req: RestartRequest): Promise<FailedRestartResult> {
  const laneId = laneIdFor(lane);
  const refuse = (why: string, hint: string) => new LanesError('conflict', `lane ${laneId} ${why}`, hint);
  if (status === 'COMPLETED') throw refuse('has finished (workflow COMPLETED): a finished lane cannot be restarted', 'Its work is landed or reported; submit new work under a new packet id.');
  if (status !== 'FAILED') throw refuse(`has ended (workflow ${status}); only a blocked or failed lane can be restarted`, 'Submit the work again under a new packet id.');
  const handle = handleFor(client, lane);
  let state: RestartState;
  try {
    state = await handle.query(restartStateQuery);
  } catch (e) {
    throw new LanesError('unavailable', `lane ${laneId}: its failed run's state could not be read (${(e as Error).message})`, 'A worker must be polling the lane queue (`lanes worker`), running a Lanes version with `lanes restart` of failed lanes.', undefined, { cause: e });
  }
  if (state.resume.state !== 'failed') throw refuse(`is ${state.resume.state}, not failed`, 'See `lanes status <lane>`.');
  const failedRunId = (await handle.describe()).runId;
  const { input } = state;
  try {
    const started = await client.workflow.start<LaneWorkflow>(LANE_WORKFLOW_TYPE, {
      taskQueue,
      workflowId: workflowIdFor(laneId),
      args: [{ ...input, resume: undefined, restart: { ...req, prior: state.resume } }],
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      workflowIdConflictPolicy: 'FAIL',
      ...laneStartLabels(input.packet, input.fingerprint),
    });
    return { laneId, accepted: true, from: req.from, resetTo: failedRestartTarget(state.resume, req.from), failedRunId, runId: started.firstExecutionRunId };
  } catch (e) {
    if (e instanceof WorkflowExecutionAlreadyStartedError) throw refuse('was restarted by someone else just now (a new run is open)', 'Follow it with `lanes wait <lane> --for ended`.');
    throw e;
  }
}
