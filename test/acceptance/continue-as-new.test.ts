// Long lanes continue-as-new before history grows large, and lose nothing doing it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LaneEventSchema } from '../../src/workflows/events.js';
import { CALCULATOR_FIX } from '../../src/demo/fixture-repo.js';
import { runCli } from '../support/cli.js';
import { type LaneStack, mockPacket, startLaneStack } from '../support/lane-stack.js';

let stack: LaneStack;
beforeAll(async () => {
  stack = await startLaneStack();
});
afterAll(async () => stack?.stop());

describe('laneWorkflow continue-as-new', () => {
  it('a long lane continues as new across several runs and finishes with one gap-free event log', async () => {
    const repo = await stack.fixture('long');
    const reads = Array.from({ length: 10 }, (_, i) => ({ text: `look ${i}`, toolCalls: [{ name: 'read_file', input: { path: i % 2 ? 'src/math.js' : 'README.md' } }] }));
    stack.mock.script('long', [...reads, { text: 'fix', toolCalls: [{ name: 'write_file', input: { path: 'src/math.js', content: CALCULATOR_FIX } }] }, { text: 'done' }]);
    const packet = mockPacket('long', repo.path, 'long', { agent: { provider: 'anthropic', model: 'claude-sonnet-4-5', maxTurns: 20 } });
    const r = await runCli(['submit', stack.writePacket('long', packet), '--wait', '--json'], { env: { ...stack.env, LANES_HISTORY_EVENT_LIMIT: '40' } });
    expect(r.json().state).toBe('finished');
    expect(r.json().usage.turns).toBe(12);

    const runs: string[] = [];
    for await (const wf of stack.client.workflow.list({ query: `WorkflowId = 'lane-long'` })) runs.push(wf.runId);
    expect(runs.length).toBeGreaterThan(2);

    const events = (await stack.cli(['events', 'long', '--json'])).json() as unknown[];
    const parsed = events.map((e) => LaneEventSchema.parse(e));
    expect(parsed.map((e) => e.seq)).toEqual(parsed.map((_, i) => i + 1));
    expect(new Set(parsed.map((e) => e.runId)).size).toBeGreaterThan(1);
    // Must not: restart the lane (a second lane.started) or bill a turn twice.
    expect(parsed.filter((e) => e.type === 'lane.started')).toHaveLength(1);
    const turns = stack.mock.requests.filter((q) => q.scenario === 'long').map((q) => q.turn);
    expect(turns).toEqual([...new Set(turns)]);
    expect(Number(await repo.git('rev-list', '--count', '--merges', 'main'))).toBe(1);
  });
});
