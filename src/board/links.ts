// Where a lane can be seen: its page on the web board and in the Temporal Web UI.
// Pure URL building, shared by the board, `lanes open` and the Details a lane is started with.

export { boardLaneUrl, boardRunUrl } from '../shared/board-links.js';

/** The Web UI page of a lane's workflow (its latest run when runId is omitted). */
export function webUiLaneUrl(webUiUrl: string, namespace: string, workflowId: string, runId?: string): string {
  const base = `${webUiUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  return runId ? `${base}/${encodeURIComponent(runId)}/history` : base;
}

/** The Web UI's workflow list filtered to the lanes that need a person. */
export function webUiBlockedListUrl(webUiUrl: string, namespace: string): string {
  const query = `WorkflowType="laneWorkflow" AND LaneState IN ("blocked","trust_required")`;
  return `${webUiUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows?query=${encodeURIComponent(query)}`;
}
