// Seeded chaos plans: which fault each chaos lane gets, reproducible from the seed.
import { z } from 'zod';
import { KILL_POINTS, type KillPoint } from '../faults/points.js';
import type { FaultSpec } from '../faults/plan.js';

/** Faults a chaos run may inject; crash needs supervised workers (`lanes worker --supervise`). */
export const CHAOS_FAULTS = ['throw', 'delay', 'crash'] as const;
export const ChaosFaultSchema = z.enum(CHAOS_FAULTS);
export type ChaosFault = z.infer<typeof ChaosFaultSchema>;

/** Points every chaos lane passes through (it has no MCP servers). */
export const CHAOS_POINTS: readonly KillPoint[] = KILL_POINTS.filter((p) => p !== 'after_mcp_startup');

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
export function chaosFaultPlan(seed: number, laneIds: readonly string[], faults: readonly ChaosFault[]): Record<string, FaultSpec> {
  const rnd = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const plan: Record<string, FaultSpec> = {};
  for (const laneId of laneIds) {
    const fault = pick(faults);
    const point = pick(CHAOS_POINTS);
    plan[laneId] =
      fault === 'throw'
        ? { point, fault, class: 'infra', times: 1, laneId }
        : fault === 'delay'
          ? { point, fault, delayMs: 200 + Math.floor(rnd() * 800), times: 1, laneId }
          : { point, fault, times: 1, laneId };
  }
  return plan;
}
