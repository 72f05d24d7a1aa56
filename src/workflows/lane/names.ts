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
