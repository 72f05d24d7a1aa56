// Pages of the web board, by URL. Pure string building, so workflows (a run's lanes link
// to the board from their Web UI Details), the board and the CLI share one spelling.

export function boardLaneUrl(boardUrl: string, laneId: string): string {
  return `${boardUrl.replace(/\/+$/, '')}/lanes/${encodeURIComponent(laneId)}`;
}

export function boardRunUrl(boardUrl: string, runId: string): string {
  return `${boardUrl.replace(/\/+$/, '')}/runs/${encodeURIComponent(runId)}`;
}
