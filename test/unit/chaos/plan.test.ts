// Seeded chaos plans with external-agent lanes: each lane's point is one its agent passes.
import { describe, expect, it } from 'vitest';
import { CHAOS_POINTS, chaosAgentOf, chaosFaultPlan, chaosPointsFor } from '../../../src/chaos/plan.js';
import { BUILTIN_AGENT_POINTS } from '../../../src/faults/points.js';

const ids = Array.from({ length: 12 }, (_, i) => `l${i}`);

describe('chaos/plan', () => {
  it('gives the agents to the lanes in turn and each lane a point its agent passes through', () => {
    expect(ids.slice(0, 4).map((_, i) => chaosAgentOf(i, ['claude_code', 'codex', 'builtin']))).toEqual(['claude_code', 'codex', 'builtin', 'claude_code']);
    for (let seed = 1; seed < 30; seed++) {
      const plan = chaosFaultPlan(seed, ids, ['throw', 'delay'], ['claude_code', 'codex', 'builtin']);
      ids.forEach((id, i) => expect(chaosPointsFor(chaosAgentOf(i, ['claude_code', 'codex', 'builtin']))).toContain(plan[id]!.point));
    }
    // Must NOT happen: an external agent lane planned at a point only the builtin loop passes (the fault would never fire).
    const external = chaosFaultPlan(4, ids, ['throw'], ['codex']);
    expect(Object.values(external).map((f) => f.point).filter((p) => BUILTIN_AGENT_POINTS.includes(p))).toEqual([]);
    expect(Object.values(external).map((f) => f.point)).toContain('mid_agent_pass');
  });

  it('builtin-only runs keep the plan they always had for a seed', () => {
    expect(chaosFaultPlan(7, ids, ['throw', 'delay'])).toEqual(chaosFaultPlan(7, ids, ['throw', 'delay'], ['builtin']));
    expect(Object.values(chaosFaultPlan(7, ids, ['throw', 'delay'])).every((f) => CHAOS_POINTS.includes(f.point))).toBe(true);
  });
});
