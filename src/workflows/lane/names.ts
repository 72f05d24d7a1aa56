// The lane's wire names: its workflow type and the queries readers ask. Kept apart from
// api.ts (which defines them with @temporalio/workflow) so the CLI's read path over the
// server's HTTP API (src/client/http-api.ts) names them without loading any Temporal SDK.

/** The workflow type name the worker registers (src/workflows/index.ts) and clients start by. */
export const LANE_WORKFLOW_TYPE = 'laneWorkflow';

export const LANE_QUERIES = {
  state: 'state',
  events: 'events',
  summary: 'summary',
  /** `summary` and `state` in one answer. */
  status: 'status',
} as const;

/**
 * The memo key under which a lane's last run, as it ends, records its final `status` answer
 * ({ runId, summary, state }): `lanes status` of a closed lane reads it from describe alone,
 * with no query (a query on a closed lane makes a worker replay the whole history).
 */
export const FINAL_STATUS_MEMO = 'lanesFinalStatus';
