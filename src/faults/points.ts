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
  'mid_agent_pass',
] as const;

export type KillPoint = (typeof KILL_POINTS)[number];

/** Where each point sits and what a crash there leaves behind (for reports and docs). */
export const KILL_POINT_DESCRIPTIONS: Record<KillPoint, string> = {
  after_worktree: 'openLane (or prepareWorktree): the lane worktree and branch exist, the activity has not returned',
  after_mcp_startup: 'startMcp: the MCP servers are running and the report is saved, the activity has not returned',
  mid_model_turn: 'modelTurn: the provider answered, the reply is not saved yet (the turn is asked again)',
  after_reply_saved: 'modelTurn: the reply is saved in turns/<n>.json, the activity has not returned',
  mid_tool: 'executeToolCall: the tool ran, its result is not saved yet (the tool runs again)',
  mid_tests: 'runAcceptance: the first acceptance command has started and is running',
  after_commit: 'commitWork: the checkpoint commit exists, the activity (and its event) has not returned',
  mid_merge: 'prepareCandidate: the merge candidate is built, the target has not moved',
  after_merge: 'advanceTarget: the target ref moved to the candidate, the activity has not returned',
  mid_agent_pass: 'agentPass: the external agent (claude_code, codex, command) finished two turns with its session id saved and is still running (the retry resumes the session)',
};

/** Points only Lanes' own agent loop passes through, and the one only external agents pass through. */
export const BUILTIN_AGENT_POINTS: readonly KillPoint[] = ['mid_model_turn', 'after_reply_saved', 'mid_tool'];
export const EXTERNAL_AGENT_POINTS: readonly KillPoint[] = ['mid_agent_pass'];

/** The kill points a lane with this agent kind passes through, in KILL_POINTS order. */
export function pointsForAgent(kind: 'builtin' | 'claude_code' | 'codex' | 'command'): KillPoint[] {
  const skip = kind === 'builtin' ? EXTERNAL_AGENT_POINTS : BUILTIN_AGENT_POINTS;
  return KILL_POINTS.filter((p) => !skip.includes(p));
}

export function isKillPoint(value: unknown): value is KillPoint {
  return typeof value === 'string' && (KILL_POINTS as readonly string[]).includes(value);
}
