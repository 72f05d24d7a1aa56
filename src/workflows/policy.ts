// Lane policy as pure functions over packet data and lane facts (DESIGN.md §3
// "Policy"). The workflow asks; these answer. Unit-tested without Temporal.
import type { AcceptanceCommand, TaskPacket } from '../packet/schema.js';
import { type GreenLevel, levelRank, mayMerge, WORKTREE_LEVELS, type WorktreeLevel } from './state.js';

/** Worktree levels that have commands, weakest first. */
export function levelsToRun(acceptance: TaskPacket['acceptance']): WorktreeLevel[] {
  return WORKTREE_LEVELS.filter((l) => acceptance[l].length > 0);
}

/**
 * Commands run on the merge candidate. A packet without explicit mergeReady
 * commands re-runs its broadest declared level there, so a merge is never
 * untested against the target's current head.
 */
export function candidateCommands(acceptance: TaskPacket['acceptance']): AcceptanceCommand[] {
  if (acceptance.mergeReady.length > 0) return acceptance.mergeReady;
  const broadest = [...levelsToRun(acceptance)].reverse()[0];
  return broadest ? acceptance[broadest] : [];
}

/** The level reached in the worktree: every level up to it passed, in order. */
export function reachedLevel(results: readonly { level: WorktreeLevel; passed: boolean }[]): GreenLevel {
  let reached: GreenLevel = 'none';
  for (const level of WORKTREE_LEVELS) {
    const r = results.find((x) => x.level === level);
    if (!r) continue;
    if (!r.passed) break;
    reached = level;
  }
  return reached;
}

/** Worktree levels must all pass before landing is even tried. */
export function worktreeGreen(acceptance: TaskPacket['acceptance'], reached: GreenLevel): boolean {
  const declared = levelsToRun(acceptance);
  const top = declared[declared.length - 1];
  return top === undefined || levelRank(reached) >= levelRank(top);
}

export type LandingDecision = { land: true } | { land: false; reason: string };

/** Whether the lane may try to land, before the candidate is built. */
export function decideLanding(packet: TaskPacket, reached: GreenLevel): LandingDecision {
  if (packet.merge.mode === 'none') return { land: false, reason: 'merge.mode is none: the lane stops at its green level' };
  if (!worktreeGreen(packet.acceptance, reached)) return { land: false, reason: `green only at ${reached}` };
  const required = packet.acceptance.requiredLevel;
  // merge_ready is decided on the candidate; lower requirements are checked here.
  if (required !== 'merge_ready' && !mayMerge(reached, required)) return { land: false, reason: `requires ${required}, reached ${reached}` };
  return { land: true };
}

/** The fix-up prompt for a red run: which level failed and the tail of its output. */
export function fixupPrompt(level: GreenLevel, failures: readonly { name: string; exitCode: number | null; tail: string }[]): string {
  const parts = failures.map((f) => `Command \`${f.name}\` exited with ${f.exitCode ?? 'a timeout'}. Output (tail):\n${f.tail}`);
  return `The ${level} acceptance tests failed after your change. Fix the code so they pass; do not change the tests unless they are wrong.\n\n${parts.join('\n\n')}`;
}
