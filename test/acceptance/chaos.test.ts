// Scheduled chaos runs: a Temporal Schedule triggered now runs chaosWorkflow, whose
// lanes meet their seeded faults and keep every invariant; a planted violation is caught.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { ChaosReportSchema } from '../../src/chaos/report.js';
import { readFaultFirings } from '../../src/faults/inject.js';
import { AGENT_FIX_SCRIPTS } from '../../src/fixtures/agent-scripts.js';
import { type LaneStack, startLaneStack } from '../support/lane-stack.js';

let stack: LaneStack;
beforeAll(async () => {
  stack = await startLaneStack({ workerArgs: ['--allow-chaos'] });
  // External-agent chaos lanes (--mock-model) select these scenarios on the stack's mock model server.
  for (const [name, turns] of Object.entries(AGENT_FIX_SCRIPTS)) stack.mock.script(name, turns);
});
afterAll(async () => stack?.stop());

async function waitForChaosRun(prefix: string, timeoutMs = 120_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for await (const wf of stack.client.workflow.list({ query: `WorkflowType = 'chaosWorkflow' AND TaskQueue = '${stack.taskQueue}'` })) {
      if (wf.workflowId.startsWith(prefix) && wf.status.name !== 'RUNNING') return wf.workflowId;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`no finished chaos run ${prefix}*`);
}

describe('chaos runs', () => {
  it('a schedule triggered now runs a chaos batch that ends with zero violations', async () => {
    const id = `chaos-test-${stack.taskQueue.slice(-6)}`;
    const created = await stack.cli(['chaos', 'schedule', '--every', '24h', '--seed', '7', '--lanes', '2', '--faults', 'throw,delay', '--id', id, '--json']);
    expect(created.exitCode).toBe(0);
    try {
      expect((await stack.cli(['chaos', 'trigger', id, '--json'])).exitCode).toBe(0);
      const runId = await waitForChaosRun(`chaos-${id}`);
      const r = await stack.cli(['chaos', 'report', runId, '--json']);
      const report = r.json();
      // The real report is exactly the shape schemas/chaos-report.schema.json publishes.
      expect(ChaosReportSchema.parse(report)).toEqual(report);
      expect(report.armed).toBe(true);
      expect(report.violations).toBe(0);
      expect(report.lanes).toHaveLength(2);
      expect(report.lanes.every((l: { state: string }) => l.state === 'finished')).toBe(true);
      // Each fault really fired at its seeded point (the plan is not a no-op), and the lane still finished.
      for (const lane of report.lanes) {
        const firings = readFaultFirings(stack.home, lane.laneId);
        expect(firings.map((f) => f.point)).toEqual([lane.fault.point]);
        expect(firings[0]!.firings).toHaveLength(1);
        const events = (await stack.cli(['events', lane.laneId, '--json'])).json();
        expect(events.at(-1).type).toBe('lane.finished');
      }
      expect(r.exitCode).toBe(0);
      const list = (await stack.cli(['chaos', 'list', '--json'])).json();
      expect(list.schedules.map((s: { scheduleId: string }) => s.scheduleId)).toContain(id);
      const run = list.runs.find((x: { workflowId: string }) => x.workflowId === runId);
      expect(run.violations).toBe(0);
    } finally {
      expect((await stack.cli(['chaos', 'delete', id, '--json'])).exitCode).toBe(0);
    }
    // Must not: the deleted schedule linger.
    const after = (await stack.cli(['chaos', 'list', '--json'])).json();
    expect(after.schedules.map((s: { scheduleId: string }) => s.scheduleId)).not.toContain(id);
  });

  it('claude_code and codex lanes meet a failure mid-pass, resume their sessions and land once; no pass completes twice', async () => {
    // Seed 15 puts a throw at mid_agent_pass in both lanes: each agent is killed after two turns.
    const r = await stack.cli(['chaos', 'run', '--seed', '15', '--lanes', '2', '--agents', 'claude_code,codex', '--faults', 'throw', '--mock-model', '--json'], { timeoutMs: 400_000 });
    const report = r.json();
    expect(report.invariants.filter((i: { passed: boolean }) => !i.passed)).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(report.lanes.map((l: { agent: string; state: string; fault: { point: string } }) => [l.agent, l.state, l.fault.point])).toEqual([
      ['claude_code', 'finished', 'mid_agent_pass'],
      ['codex', 'finished', 'mid_agent_pass'],
    ]);
    for (const lane of report.lanes) {
      const names = report.invariants.filter((i: { laneId: string }) => i.laneId === lane.laneId).map((i: { name: string }) => i.name);
      expect(names).toContain('agent_pass_completed_once');
      expect(readFaultFirings(stack.home, lane.laneId)[0]!.firings).toHaveLength(1);
      // The pass was cut short once and completed in the resumed session.
      const record = JSON.parse(readFileSync(join(stack.home, 'lanes', lane.laneId, 'agent', 'pass-0001.json'), 'utf8')) as { status: string; runs: number };
      expect(record).toMatchObject({ status: 'completed', runs: 2 });
      // Landed once: one merge of the lane in its repository.
      const repo = join(stack.home, 'chaos', report.chaosId, `repo-${report.lanes.indexOf(lane)}`);
      expect((await execa('git', ['rev-list', '--merges', '--count', 'main'], { cwd: repo })).stdout.trim()).toBe('1');
      // Must NOT happen: a second pass (the failed one started over instead of resuming).
      expect(existsSync(join(stack.home, 'lanes', lane.laneId, 'agent', 'pass-0002.json'))).toBe(false);
    }
  }, 420_000);

  it('a planted real violation (a second land commit) is reported and exits 1', async () => {
    const r = await stack.cli(['chaos', 'run', '--seed', '3', '--lanes', '1', '--faults', 'throw', '--plant', 'double_land', '--json']);
    expect(r.exitCode).toBe(1);
    const report = r.json();
    expect(report.violations).toBeGreaterThanOrEqual(1);
    const failed = report.invariants.filter((i: { passed: boolean }) => !i.passed).map((i: { name: string }) => i.name);
    expect(failed).toContain('at_most_one_land');
    // Must not: blame the lane's own run (it finished and landed once before the plant).
    expect(failed).not.toContain('terminal_state');
  });
});
