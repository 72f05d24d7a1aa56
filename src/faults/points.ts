// Named kill points: the places in the lane's activities where a fault plan may
// crash, fail or slow the worker. The names are a stable contract (drill reports,
// docs/durability.md, fault plan files), so new points are added, never renamed.

export const KILL_POINTS = [
  'after_worktree',
  'after_mcp_startup',
  'mid_model_turn',
  'after_reply_saved',
  'mid_tool',
  'mid_tests',
  'after_commit',
  'mid_merge',
  'after_merge',
] as const;

export type KillPoint = (typeof KILL_POINTS)[number];

/** Where each point sits and what a crash there leaves behind (for reports and docs). */
export const KILL_POINT_DESCRIPTIONS: Record<KillPoint, string> = {
  after_worktree: 'prepareWorktree: the lane worktree and branch exist, the activity has not returned',
  after_mcp_startup: 'startMcp: the MCP servers are running and the report is saved, the activity has not returned',
  mid_model_turn: 'modelTurn: the provider answered, the reply is not saved yet (the turn is asked again)',
  after_reply_saved: 'modelTurn: the reply is saved in turns/<n>.json, the activity has not returned',
  mid_tool: 'executeToolCall: the tool ran, its result is not saved yet (the tool runs again)',
  mid_tests: 'runAcceptance: the first acceptance command has started and is running',
  after_commit: 'commitWork: the checkpoint commit exists, the activity (and its event) has not returned',
  mid_merge: 'prepareCandidate: the merge candidate is built, the target has not moved',
  after_merge: 'advanceTarget: the target ref moved to the candidate, the activity has not returned',
};

export function isKillPoint(value: unknown): value is KillPoint {
  return typeof value === 'string' && (KILL_POINTS as readonly string[]).includes(value);
}
