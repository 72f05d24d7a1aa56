// Lane id <-> workflow id, with no Temporal SDK behind it (the HTTP read path uses it too).

export function workflowIdFor(laneIdOrWorkflowId: string): string {
  return laneIdOrWorkflowId.startsWith('lane-') ? laneIdOrWorkflowId : `lane-${laneIdOrWorkflowId}`;
}

export function laneIdFor(laneIdOrWorkflowId: string): string {
  return laneIdOrWorkflowId.startsWith('lane-') ? laneIdOrWorkflowId.slice('lane-'.length) : laneIdOrWorkflowId;
}
