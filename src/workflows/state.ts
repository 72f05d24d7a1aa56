// Lane states and green levels (DESIGN.md §3) with the predicates every layer
// shares, so the CLI, queries and policy never repeat string lists.
import { z } from 'zod';
import { GREEN_LEVELS, type GreenLevel } from '../packet/green-levels.js';

export const LANE_STATES = ['spawning', 'trust_required', 'ready_for_prompt', 'prompt_accepted', 'running', 'awaiting_approval', 'blocked', 'finished', 'failed'] as const;
export const LaneStateSchema = z.enum(LANE_STATES);
export type LaneState = z.infer<typeof LaneStateSchema>;

// Green levels are part of the packet contract; re-exported here beside the predicates.
export { GREEN_LEVELS, GreenLevelSchema, type GreenLevel } from '../packet/green-levels.js';

/** The levels that have packet commands run in the lane worktree, in order. */
export const WORKTREE_LEVELS = ['targeted', 'package', 'workspace'] as const satisfies readonly GreenLevel[];
export type WorktreeLevel = (typeof WORKTREE_LEVELS)[number];

export function levelRank(level: GreenLevel): number {
  return GREEN_LEVELS.indexOf(level);
}

export function isTerminal(state: LaneState): boolean {
  return state === 'finished' || state === 'failed';
}

/** A prompt is never sent before the lane is ready (trust resolved, worktree bound). */
export function canSendPrompt(state: LaneState): boolean {
  return state === 'ready_for_prompt' || state === 'prompt_accepted' || state === 'running';
}

/** Merge only when the level reached is at least the level the packet requires. */
export function mayMerge(reached: GreenLevel, required: GreenLevel): boolean {
  return levelRank(reached) >= levelRank(required);
}

/** The stronger of two levels. */
export function maxLevel(a: GreenLevel, b: GreenLevel): GreenLevel {
  return levelRank(a) >= levelRank(b) ? a : b;
}
