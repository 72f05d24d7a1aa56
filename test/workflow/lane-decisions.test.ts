// Decision paths of laneWorkflow on the real dev server with stub activities
// (test/support/lane-stubs.ts): each test drives one path the issue found broken.
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LaneEvent } from '../../src/workflows/events.js';
import { resolveUpdate, stateQuery, trustSignal } from '../../src/workflows/lane/api.js';
import { happyStubs, lanePacket, runStubbedLane } from '../support/lane-stubs.js';
import { connectTestTemporal, type TestTemporal, uniqueTaskQueue } from '../support/temporal.js';

/** Polls the lane's state query until `state` (the lane is then waiting on its gate). */
async function waitForState(client: Client, workflowId: string, state: string, timeoutMs = 30_000) {
  const handle = client.workflow.getHandle(workflowId);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const st = await handle.query(stateQuery).catch(() => null);
    if (st?.state === state) return st;
    if (Date.now() > deadline) throw new Error(`lane never reached ${state} (last: ${st?.state ?? 'none'})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('laneWorkflow decisions (stub activities)', () => {
  let t: TestTemporal;
  beforeAll(async () => {
    t = await connectTestTemporal();
  });
  afterAll(async () => t?.close());

  it('escalate: a resolve accepted while the blocked state is being flushed is kept, not wiped', async () => {
    const taskQueue = uniqueTaskQueue('lane-resolve-window');
    const laneId = taskQueue;
    const events: LaneEvent[] = [];
    const stubs = happyStubs(taskQueue, events);
    let resolvedInWindow = false;
    // An automation reacting to the blocked webhook resolves exactly while the lane flushes its events.
    stubs.recordEvents = async (i: { events: LaneEvent[] }) => {
      events.push(...i.events);
      if (!resolvedInWindow && i.events.some((e) => e.type === 'lane.blocked')) {
        resolvedInWindow = true;
        await t.client.workflow.getHandle(`lane-${laneId}`).executeUpdate(resolveUpdate, { args: [{ action: 'approve', note: 'in the flush window' }] });
      }
      return {};
    };
    const packet = lanePacket(laneId, (p) => {
      p.merge.requireReview = true;
      p.escalation = { timeoutMs: 5_000 };
    });
    const end = await runStubbedLane(t, taskQueue, { laneId, packet, fingerprint: 'f' }, stubs);
    expect(resolvedInWindow).toBe(true);
    expect(end.error).toBeNull();
    expect(end.report).toMatchObject({ state: 'finished', landed: true });
    expect(events.filter((e) => e.type === 'lane.resolved').map((e) => e.data.resolution)).toEqual(['approve']);
    // Must not: the accepted resolve is lost and the lane waits out escalation.timeoutMs, then fails.
    expect(events.some((e) => e.type === 'lane.failed' || e.detail.includes('without a resolution'))).toBe(false);
  });

  it('trust: the trust signal records who trusted the repository', async () => {
    const taskQueue = uniqueTaskQueue('lane-trust-by');
    const laneId = taskQueue;
    const events: LaneEvent[] = [];
    const stubs = happyStubs(taskQueue, events);
    stubs.checkTrust = async () => ({ trusted: false, trustedRoots: ['/trusted'] });
    const end = await runStubbedLane(t, taskQueue, { laneId, packet: lanePacket(laneId), fingerprint: 'f' }, stubs, async (client, workflowId) => {
      await waitForState(client, workflowId, 'trust_required');
      await client.workflow.getHandle(workflowId).signal(trustSignal, { by: 'alice' });
    });
    expect(end.error).toBeNull();
    const trusted = events.find((e) => e.type === 'lane.trust_resolved');
    expect(trusted?.data).toMatchObject({ by: 'alice' });
    expect(trusted?.detail).toContain('alice');
    // Must not: the payload dropped and the event credited to an anonymous operator.
    expect(trusted?.detail).not.toBe('trusted by operator');
  });

  it('budget: a limit lifted with --retry stays lifted after continue-as-new', async () => {
    const taskQueue = uniqueTaskQueue('lane-budget-can');
    const laneId = taskQueue;
    const events: LaneEvent[] = [];
    const stubs = happyStubs(taskQueue, events);
    const runs = new Set<string>();
    stubs.modelTurn = async (i: { turn: number }) => ({
      toolCalls: i.turn < 3 ? [{ id: `c${i.turn}`, name: 'read_file', input: { path: 'src/math.js' } }] : [],
      usage: { inputTokens: 10, outputTokens: 10 },
      costUsd: 0,
      scripted: true,
      provider: 'scripted',
      model: 'stub',
      compacted: false,
    });
    stubs.recordEvents = async (i: { events: LaneEvent[] }) => {
      events.push(...i.events);
      for (const e of i.events) if (e.runId) runs.add(e.runId);
      return {};
    };
    const packet = lanePacket(laneId, (p) => {
      p.budget = { tokens: 5, mode: 'block' };
      p.escalation = { timeoutMs: 5_000 };
    });
    // historyEventLimit 1: the lane continues as new after every agent turn.
    const end = await runStubbedLane(t, taskQueue, { laneId, packet, fingerprint: 'f', historyEventLimit: 1 }, stubs, async (client, workflowId) => {
      await waitForState(client, workflowId, 'blocked');
      await client.workflow.getHandle(workflowId).executeUpdate(resolveUpdate, { args: [{ action: 'retry' }] });
    });
    expect(end.error).toBeNull();
    expect(end.report).toMatchObject({ state: 'finished' });
    expect(runs.size).toBeGreaterThan(1);
    // Must not: the lifted limit blocks again in the continued run.
    expect(events.filter((e) => e.type === 'budget.block')).toHaveLength(1);
  });
});
