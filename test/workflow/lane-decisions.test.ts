// Decision paths of laneWorkflow on the real dev server with stub activities
// (test/support/lane-stubs.ts): each test drives one path the issue found broken.
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { laneEventsAfter } from '../../src/client/lane-events.js';
import { laneFailure } from '../../src/failures.js';
import type { LaneEvent } from '../../src/workflows/events.js';
import { eventsQuery, type LaneWorkflow, resolveUpdate, summaryQuery, trustSignal } from '../../src/workflows/lane/api.js';
import type { LaneSummary } from '../../src/workflows/summary.js';
import { happyStubs, lanePacket, runStubbedLane, stubReply, waitForState } from '../support/lane-stubs.js';
import { connectTestTemporal, type TestTemporal, uniqueTaskQueue } from '../support/temporal.js';

/** A fresh task queue (also the lane id), the events the lane records, and stubs that succeed. */
function stubbedLane(name: string) {
  const taskQueue = uniqueTaskQueue(name);
  const events: LaneEvent[] = [];
  return { taskQueue, laneId: taskQueue, events, stubs: happyStubs(taskQueue, events) };
}

describe('laneWorkflow decisions (stub activities)', () => {
  let t: TestTemporal;
  beforeAll(async () => {
    t = await connectTestTemporal();
  });
  afterAll(async () => t?.close());

  it('escalate: a resolve accepted while the blocked state is being flushed is kept, not wiped', async () => {
    const { taskQueue, laneId, events, stubs } = stubbedLane('lane-resolve-window');
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
    const { taskQueue, laneId, events, stubs } = stubbedLane('lane-trust-by');
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
    const { taskQueue, laneId, events, stubs } = stubbedLane('lane-budget-can');
    const runs = new Set<string>();
    stubs.modelTurn = async (i: { turn: number }) => stubReply(i.turn, i.turn < 3);
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

  it('review: merge.requireReview blocks with class review and advises --approve in status, summary, webhook and Current Details', async () => {
    const { taskQueue, laneId, events, stubs } = stubbedLane('lane-review-advice');
    const webhook: LaneSummary[] = [];
    stubs.postLaneSummary = async (i: { summary: LaneSummary }) => {
      webhook.push(i.summary);
      return { delivered: true, attempts: 1 };
    };
    const packet = lanePacket(laneId, (p) => {
      p.merge.requireReview = true;
      p.report = { ...p.report, webhook: 'http://127.0.0.1:9/hook' };
      p.escalation = { timeoutMs: 20_000 };
    });
    let seen: { status: unknown; summary: LaneSummary; details: string; retried: string } | null = null;
    const end = await runStubbedLane(t, taskQueue, { laneId, packet, fingerprint: 'f' }, stubs, async (client, workflowId) => {
      const handle = client.workflow.getHandle(workflowId);
      const status = await waitForState(client, workflowId, 'blocked');
      const summary = await handle.query(summaryQuery);
      const meta = (await handle.query('__temporal_workflow_metadata')) as { currentDetails?: string };
      // --retry at a review asks again; only --approve lets it through.
      const retried = await handle.executeUpdate(resolveUpdate, { args: [{ action: 'retry' }] }).then(() => 'accepted', (e: Error) => e.message);
      await waitForState(client, workflowId, 'blocked');
      seen = { status, summary, details: meta.currentDetails ?? '', retried };
      await handle.executeUpdate(resolveUpdate, { args: [{ action: 'approve', note: 'reviewed' }] });
    });
    expect(end.error).toBeNull();
    expect(end.report).toMatchObject({ state: 'finished', landed: true });
    const { status, summary, details, retried } = seen!;
    expect(retried).toBe('accepted');
    expect(status).toMatchObject({ state: 'blocked', failureClass: 'review' });
    expect(summary.blocker?.class).toBe('review');
    expect(summary.recommendedAction).toContain(`lanes resolve ${laneId} --approve`);
    expect(details).toContain(`lanes resolve ${laneId} --approve`);
    const blockedHook = webhook.find((w) => w.phase === 'blocked');
    expect(blockedHook?.blocker?.class).toBe('review');
    expect(blockedHook?.recommendedAction).toContain('--approve');
    // Must not: the advice of a packet error (validator) at a gate that waits for an approval.
    for (const text of [summary.recommendedAction, details, blockedHook!.recommendedAction]) expect(text).not.toMatch(/resubmit|new id/);
    expect(events.some((e) => e.failureClass === 'validator')).toBe(false);
    expect(events.filter((e) => e.type === 'lane.blocked')).toHaveLength(2);
  });

  it('recreate_worktree: a worktree deleted under a running lane is recreated from the lane branch, the step re-runs, the lane lands', async () => {
    const { taskQueue, laneId, events, stubs } = stubbedLane('lane-recreate-wt');
    const root = mkdtempSync(join(tmpdir(), 'lanes-recreate-'));
    const wt = join(root, laneId);
    const prepared: string[] = [];
    const missing = (step: string) => laneFailure('workspace_mismatch', `worktree of lane ${laneId} is missing at ${wt} (${step})`, { reason: 'missing' });
    stubs.prepareWorktree = async (i: { branch: string }) => {
      prepared.push(existsSync(wt) ? 'existing' : 'created');
      mkdirSync(wt, { recursive: true });
      return { worktreePath: wt, branch: i.branch, baseCommit: 'a'.repeat(40), created: true };
    };
    stubs.modelTurn = async (i: { turn: number }) => {
      // Someone removes the worktree while the first turn runs.
      if (i.turn === 1) rmSync(wt, { recursive: true, force: true });
      return stubReply(i.turn, i.turn === 1);
    };
    let toolRuns = 0;
    stubs.executeToolCall = async () => {
      toolRuns += 1;
      if (!existsSync(wt)) throw missing('tool call');
      return {};
    };
    stubs.runAcceptance = async () => {
      if (!existsSync(wt)) throw missing('tests');
      return { passed: true, results: [{ name: 'unit tests', exitCode: 0, timedOut: false, tail: '' }] };
    };
    try {
      const end = await runStubbedLane(t, taskQueue, { laneId, packet: lanePacket(laneId, (p) => (p.escalation = { timeoutMs: 5_000 })), fingerprint: 'f' }, stubs);
      expect(end.error).toBeNull();
      expect(end.report).toMatchObject({ state: 'finished', landed: true });
      expect(prepared).toEqual(['created', 'created']);
      expect(toolRuns).toBe(2);
      const recovery = events.find((e) => e.type === 'lane.recovery.attempted');
      expect(recovery).toMatchObject({ failureClass: 'workspace_mismatch', data: { recipe: 'recreate_worktree', step: 'tool_call', attempt: 1 } });
      expect(events.find((e) => e.type === 'branch.workspace_mismatch')?.detail).toContain('recreated');
      // Must not: the lane blocks or fails on a worktree it can recreate from its own branch.
      expect(events.some((e) => e.type === 'lane.blocked' || e.type === 'lane.failed')).toBe(false);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('continue-as-new carries a bounded window of events; lanes events stays complete and gap-free from events.jsonl', async () => {
    const { taskQueue, laneId, events, stubs } = stubbedLane('lane-event-window');
    const home = mkdtempSync(join(tmpdir(), 'lanes-window-'));
    const file = join(home, 'lanes', laneId, 'events.jsonl');
    const runs = new Set<string>();
    stubs.recordEvents = async (i: { events: LaneEvent[] }) => {
      mkdirSync(join(home, 'lanes', laneId), { recursive: true });
      appendFileSync(file, i.events.map((e) => `${JSON.stringify(e)}\n`).join(''));
      for (const e of i.events) if (e.runId) runs.add(e.runId);
      events.push(...i.events);
      return {};
    };
    stubs.modelTurn = async (i: { turn: number }) => stubReply(i.turn, i.turn < 8);
    let read: { all: LaneEvent[]; fromQuery: LaneEvent[]; later: LaneEvent[]; withoutFile: string } | null = null;
    try {
      // historyEventLimit 1: a new run after every turn; each carries only 3 events.
      const input = { laneId, packet: lanePacket(laneId), fingerprint: 'f', historyEventLimit: 1, carriedEvents: 3 };
      const end = await runStubbedLane(t, taskQueue, input, stubs, async (client, workflowId) => {
        const handle = client.workflow.getHandle<LaneWorkflow>(workflowId);
        await handle.result();
        read = {
          all: await laneEventsAfter(handle, laneId, 0, home),
          fromQuery: await handle.query(eventsQuery, 0),
          later: await laneEventsAfter(handle, laneId, 5, home),
          withoutFile: await laneEventsAfter(handle, laneId, 0, join(home, 'elsewhere')).then(() => 'read', (e: Error) => e.message),
        };
      });
      expect(end.error).toBeNull();
      const { all, fromQuery, later, withoutFile } = read!;
      expect(runs.size).toBeGreaterThan(5);
      expect(all.length).toBe(end.report!.events);
      expect(all.map((e) => e.seq)).toEqual(Array.from({ length: all.length }, (_, i) => i + 1));
      expect(all.map((e) => e.type)).toEqual(events.map((e) => e.type));
      expect(later.map((e) => e.seq)).toEqual(all.slice(5).map((e) => e.seq));
      // The workflow itself holds only the last run's events after the carried window.
      expect(fromQuery[0]!.seq).toBeGreaterThan(1);
      expect(fromQuery.length).toBeLessThan(all.length);
      // Must not: a silent gap when the file is not there; a duplicated or missing seq.
      expect(withoutFile).toMatch(/no longer held by the workflow/);
      expect(new Set(all.map((e) => e.seq)).size).toBe(all.length);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
