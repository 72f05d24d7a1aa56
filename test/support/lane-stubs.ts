// Stub activities for decision-path tests of laneWorkflow: every step succeeds
// at once (no git, no model, no commands) unless a test overrides it, so a test
// drives exactly the path it is about through the real workflow code.
import type { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import type { PrepareWorktreeResult } from '../../src/activities/git.js';
import { createLaneOpenActivities } from '../../src/activities/lane-open.js';
import { demoPacket } from '../../src/demo/scenario.js';
import { TaskPacketSchema } from '../../src/packet/schema.js';
import { workflowsEntry } from '../../src/worker/bundle.js';
import type { LaneEvent } from '../../src/workflows/events.js';
import { type LaneInput, stateQuery } from '../../src/workflows/lane/api.js';
import type { TestTemporal } from './temporal.js';

type Stub = (input: any) => Promise<unknown>;
export type LaneStubs = Record<string, Stub>;

export function lanePacket(id: string, patch: (p: any) => void = () => undefined): LaneInput['packet'] {
  const raw: any = demoPacket({ id, repoPath: '/nonexistent/stub-repo', provider: 'scripted' });
  patch(raw);
  return { ...TaskPacketSchema.parse(raw), id } as LaneInput['packet'];
}

/** A model turn's reply: `calls` read_file tool calls (none ends the pass), 10 + 10 tokens. */
export function stubReply(turn: number, calls: boolean) {
  const toolCalls = calls ? [{ id: `c${turn}`, name: 'read_file', input: { path: 'src/math.js' } }] : [];
  return { toolCalls, usage: { inputTokens: 10, outputTokens: 10 }, costUsd: 0, scripted: true, provider: 'scripted', model: 'stub', compacted: false };
}

/** Activities that succeed: one model turn without tool calls, green tests, already-landed candidate. */
export function happyStubs(taskQueue: string, recorded: LaneEvent[]): LaneStubs {
  return {
    claimHost: async () => ({ hostQueue: taskQueue }),
    checkTrust: async () => ({ trusted: true, trustedRoots: [] }),
    preflightLane: async () => ({ ok: true }),
    prepareWorktree: async (i) => ({ worktreePath: `/tmp/stub-worktrees/${i.laneId}`, branch: i.branch, baseCommit: 'a'.repeat(40), created: true }),
    modelTurn: async (i) => stubReply(i.turn, false),
    executeToolCall: async () => ({}),
    commitWork: async () => ({ sha: null, created: false }),
    runAcceptance: async () => ({ passed: true, results: [{ name: 'unit tests', exitCode: 0, timedOut: false, tail: '' }] }),
    branchStatus: async () => ({ behind: 0, ahead: 1, baseHead: 'b'.repeat(40) }),
    scopeCheck: async () => ({ outside: [], changed: ['src/math.js'] }),
    screenDiff: async () => ({ findings: [], refused: [], blocked: [] }),
    prepareCandidate: async () => ({ alreadyLanded: true }),
    landedCommits: async () => [],
    removeCandidate: async () => ({}),
    closeout: async () => ({ worktreeRemoved: true, branchDeleted: false }),
    recordEvents: async (i: { events: LaneEvent[] }) => {
      recorded.push(...i.events);
      return {};
    },
    writeReport: async () => ({}),
    stopMcp: async () => ({ stopped: 0, survivors: [] }),
  };
}

/** openLane as the worker composes it, from the stubs' own checkTrust, preflightLane and prepareWorktree (read at call time). */
function openLaneOf(stubs: LaneStubs) {
  return createLaneOpenActivities({
    checkTrust: (i) => stubs.checkTrust!(i) as Promise<{ trusted: boolean; trustedRoots: string[] }>,
    preflightLane: (i) => stubs.preflightLane!(i) as Promise<{ ok: true }>,
    prepareWorktree: (i) => stubs.prepareWorktree!(i) as Promise<PrepareWorktreeResult>,
  });
}

/** Runs one lane on a fresh worker with `stubs`; resolves with the lane's end (report or failure). */
export async function runStubbedLane(t: TestTemporal, taskQueue: string, input: LaneInput, stubs: LaneStubs, during?: (client: Client, workflowId: string) => Promise<void>) {
  const worker = await Worker.create({
    connection: t.nativeConnection,
    namespace: t.namespace,
    taskQueue,
    workflowsPath: workflowsEntry(),
    activities: { ...openLaneOf(stubs), ...stubs },
    shutdownForceTime: '5s',
  });
  const workflowId = `lane-${input.laneId}`;
  return worker.runUntil(async () => {
    const handle = await t.client.workflow.start('laneWorkflow', { taskQueue, workflowId, args: [input] });
    await during?.(t.client, workflowId);
    return handle.result().then(
      (report) => ({ ok: true as const, report, error: null }),
      (error: unknown) => ({ ok: false as const, report: null, error }),
    );
  });
}

/** Polls the lane's state query until `state` (the lane is then waiting on its gate). */
export async function waitForState(client: Client, workflowId: string, state: string, timeoutMs = 30_000) {
  const handle = client.workflow.getHandle(workflowId);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const st = await handle.query(stateQuery).catch(() => null);
    if (st?.state === state) return st;
    if (Date.now() > deadline) throw new Error(`lane never reached ${state} (last: ${st?.state ?? 'none'})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
