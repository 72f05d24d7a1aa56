import { describe, expect, it } from 'vitest';
import {
  canSendPrompt,
  GREEN_LEVELS,
  type GreenLevel,
  isTerminal,
  LANE_STATES,
  type LaneState,
  levelRank,
  maxLevel,
  mayMerge,
  WORKTREE_LEVELS,
} from '../../../src/workflows/state.js';

const pairs: [GreenLevel, GreenLevel][] = GREEN_LEVELS.flatMap((reached) => GREEN_LEVELS.map((required) => [reached, required] as [GreenLevel, GreenLevel]));

const TERMINAL: Record<LaneState, boolean> = {
  spawning: false,
  trust_required: false,
  ready_for_prompt: false,
  prompt_accepted: false,
  running: false,
  awaiting_approval: false,
  blocked: false,
  finished: true,
  failed: true,
};

const PROMPTABLE: Record<LaneState, boolean> = {
  spawning: false,
  trust_required: false,
  ready_for_prompt: true,
  prompt_accepted: true,
  running: true,
  awaiting_approval: false,
  blocked: false,
  finished: false,
  failed: false,
};

describe('workflows/state', () => {
  it('orders green levels none < targeted < package < workspace < merge_ready', () => {
    expect(GREEN_LEVELS.map(levelRank)).toEqual([0, 1, 2, 3, 4]);
    expect(WORKTREE_LEVELS).toEqual(['targeted', 'package', 'workspace']);
  });

  it.each(pairs.map(([reached, required]) => [reached, required, GREEN_LEVELS.indexOf(reached) >= GREEN_LEVELS.indexOf(required)] as const))(
    'mayMerge(reached %s, required %s) is %s',
    (reached, required, expected) => {
      expect(mayMerge(reached, required)).toBe(expected);
      expect(maxLevel(reached, required)).toBe(expected ? reached : required);
    },
  );

  it('never lets a weaker level satisfy merge_ready', () => {
    for (const level of GREEN_LEVELS.filter((l) => l !== 'merge_ready')) expect(mayMerge(level, 'merge_ready')).toBe(false);
  });

  it.each(LANE_STATES.map((s) => [s, TERMINAL[s]] as const))('isTerminal(%s) is %s', (state, expected) => {
    expect(isTerminal(state)).toBe(expected);
  });

  it.each(LANE_STATES.map((s) => [s, PROMPTABLE[s]] as const))('canSendPrompt(%s) is %s', (state, expected) => {
    expect(canSendPrompt(state)).toBe(expected);
  });

  it('covers every lane state in the expectation tables', () => {
    expect(Object.keys(TERMINAL).sort()).toEqual([...LANE_STATES].sort());
    expect(Object.keys(PROMPTABLE).sort()).toEqual([...LANE_STATES].sort());
    // No prompt before trust is resolved and the worktree is bound.
    expect(canSendPrompt('trust_required')).toBe(false);
    expect(canSendPrompt('spawning')).toBe(false);
  });
});
