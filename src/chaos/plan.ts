// Seeded chaos plans: which fault each chaos lane gets, reproducible from the seed.
import { z } from 'zod';
import { KILL_POINTS, type KillPoint, pointsForAgent } from '../faults/points.js';
import type { FaultSpec } from '../faults/plan.js';

/** Faults a chaos run may inject; crash needs supervised workers (`lanes worker --supervise`). */
export const CHAOS_FAULTS = ['throw', 'delay', 'crash'] as const;
export const ChaosFaultSchema = z.enum(CHAOS_FAULTS);
export type ChaosFault = z.infer<typeof ChaosFaultSchema>;

/** Agents a chaos lane may run: Lanes' own loop, or the real Claude Code / Codex CLI. */
export const CHAOS_AGENTS = ['builtin', 'claude_code', 'codex'] as const;
export const ChaosAgentSchema = z.enum(CHAOS_AGENTS);
export type ChaosAgent = z.infer<typeof ChaosAgentSchema>;

/** Points every builtin chaos lane passes through (it has no MCP servers). */
export const CHAOS_POINTS: readonly KillPoint[] = KILL_POINTS.filter((p) => p !== 'after_mcp_startup' && p !== 'mid_agent_pass');

/** Points a chaos lane with this agent passes through (no MCP servers in chaos packets). */
export function chaosPointsFor(agent: ChaosAgent): readonly KillPoint[] {
  return agent === 'builtin' ? CHAOS_POINTS : pointsForAgent(agent).filter((p) => p !== 'after_mcp_startup');
}

/** The agent of each chaos lane: the list in turn, so every kind asked for gets lanes. */
export function chaosAgentOf(index: number, agents: readonly ChaosAgent[]): ChaosAgent {
  return agents.length === 0 ? 'builtin' : agents[index % agents.length]!;
}

/** mulberry32: a tiny, well-known seeded PRNG; enough to spread faults reproducibly. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One fault per lane at a seeded point; transient classes only (the lane must still finish). */
export function chaosFaultPlan(seed: number, laneIds: readonly string[], faults: readonly ChaosFault[], agents: readonly ChaosAgent[] = ['builtin']): Record<string, FaultSpec> {
  const rnd = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const plan: Record<string, FaultSpec> = {};
  for (const [i, laneId] of laneIds.entries()) {
    const fault = pick(faults);
    const agent = chaosAgentOf(i, agents);
    // External agents: half the lanes are hit mid-pass, where they differ from the builtin loop.
    const point = agent !== 'builtin' && rnd() < 0.5 ? 'mid_agent_pass' : pick(chaosPointsFor(agent));
    plan[laneId] =
      fault === 'throw'
        ? { point, fault, class: 'infra', times: 1, laneId }
        : fault === 'delay'
          ? { point, fault, delayMs: 200 + Math.floor(rnd() * 800), times: 1, laneId }
          : { point, fault, times: 1, laneId };
  }
  return plan;
}
