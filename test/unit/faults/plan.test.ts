import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LanesError } from '../../../src/errors.js';
import { FAULT_PLAN_ENV, FaultPlanSchema, KILL_POINTS, loadWorkerFaultPlan, parseFaultPlan } from '../../../src/faults/index.js';
import { TaskPacketSchema } from '../../../src/packet/schema.js';
import { demoPacket } from '../../../src/demo/scenario.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lanes-faultplan-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('faults/plan', () => {
  it('names the nine kill points of issue 6 and the agent-pass point with stable names', () => {
    expect(KILL_POINTS).toEqual(['after_worktree', 'after_mcp_startup', 'mid_model_turn', 'after_reply_saved', 'mid_tool', 'mid_tests', 'after_commit', 'mid_merge', 'after_merge', 'mid_agent_pass']);
  });

  it('accepts a plan and defaults times to 1', () => {
    const plan = FaultPlanSchema.parse([
      { point: 'mid_tests', fault: 'crash' },
      { point: 'after_commit', fault: 'throw', class: 'provider_internal', times: 2, laneId: 'l1' },
      { point: 'mid_tool', fault: 'delay', delayMs: 50, match: { tool: 'bash' } },
    ]);
    expect(plan.map((p) => p.times)).toEqual([1, 2, 1]);
  });

  it.each([
    [[{ point: 'nowhere', fault: 'crash' }], '0.point'],
    [[{ point: 'mid_tests', fault: 'explode' }], '0.fault'],
    [[{ point: 'mid_tests', fault: 'delay' }], '0.delayMs'],
    [[{ point: 'mid_tests', fault: 'crash', class: 'infra' }], '0.class'],
    [[{ point: 'mid_tests', fault: 'crash', times: 0 }], '0.times'],
    [[{ point: 'mid_tests', fault: 'crash', extra: true }], '0'],
    [{ point: 'mid_tests', fault: 'crash' }, '(root)'],
  ])('refuses %j naming the field %s', (raw, field) => {
    expect(() => parseFaultPlan(raw)).toThrow(new RegExp(`^fault plan: ${field.replace(/[()]/g, '\\$&')}`));
  });

  it('is off when neither the flag nor LANES_FAULT_PLAN is set', () => {
    expect(loadWorkerFaultPlan({ env: {} })).toBeNull();
    expect(loadWorkerFaultPlan({ env: { [FAULT_PLAN_ENV]: '' } })).toBeNull();
  });

  it('reads the flag in preference to the environment', () => {
    const a = join(dir, 'a.json');
    const b = join(dir, 'b.json');
    writeFileSync(a, JSON.stringify([{ point: 'mid_tests', fault: 'crash' }]));
    writeFileSync(b, JSON.stringify([{ point: 'after_merge', fault: 'crash' }]));
    expect(loadWorkerFaultPlan({ flag: a, env: { [FAULT_PLAN_ENV]: b } })?.plan[0]?.point).toBe('mid_tests');
    expect(loadWorkerFaultPlan({ env: { [FAULT_PLAN_ENV]: b } })?.plan[0]?.point).toBe('after_merge');
  });

  it('reports a missing or malformed plan file as a LanesError with a hint', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{not json');
    for (const flag of [join(dir, 'missing.json'), bad]) {
      let err: unknown;
      try {
        loadWorkerFaultPlan({ flag, env: {} });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(LanesError);
      expect((err as LanesError).hint).toBeTruthy();
    }
  });

  it('cannot be enabled from a task packet: the packet schema has no field for it', () => {
    const packet = demoPacket({ id: 'p1', repoPath: '/tmp/r', provider: 'scripted' }) as Record<string, any>;
    expect(TaskPacketSchema.safeParse(packet).success).toBe(true);
    expect(TaskPacketSchema.safeParse({ ...packet, faults: [{ point: 'mid_tests', fault: 'crash' }] }).success).toBe(false);
    expect(TaskPacketSchema.safeParse({ ...packet, agent: { ...packet.agent, faultPlan: 'x.json' } }).success).toBe(false);
  });
});
