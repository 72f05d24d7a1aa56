// Host affinity and re-homing (DESIGN.md §1): a lane whose host disappears notices
// through a schedule-to-start timeout, moves to a live host, recreates its worktree
// from the lane branch there, and finishes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALCULATOR_FIX } from '../../src/demo/fixture-repo.js';
import { runCli, spawnCli } from '../support/cli.js';
import { waitForStatus } from '../support/lane-assertions.js';
import { type LaneStack, mockPacket, startLaneStack } from '../support/lane-stack.js';

let stack: LaneStack;
const workers: Awaited<ReturnType<typeof spawnCli>>[] = [];
beforeAll(async () => {
  stack = await startLaneStack({ worker: false });
});
afterAll(async () => {
  for (const w of workers) {
    w.proc.kill('SIGTERM');
    await w.proc;
  }
  await stack?.stop();
});

const startWorker = async (hostId: string) => {
  const w = await spawnCli(['worker', '--shutdown-grace-ms', '1000'], { env: { ...stack.env, LANES_HOST_ID: hostId } });
  workers.push(w);
  return w;
};

describe('re-homing a lane', () => {
  it('moves a blocked lane to a live host after its host dies, and the lane still lands once', async () => {
    const a = await startWorker('host-a');
    expect(a.ready.hostQueue).toBe(`${stack.taskQueue}@host-a`);
    const repo = await stack.fixture('rehome');
    stack.mock.script('rehome', [
      { text: 'first try', toolCalls: [{ name: 'write_file', input: { path: 'src/math.js', content: CALCULATOR_FIX.replace('a * b', 'a - b') } }] },
      { text: 'done' },
      { text: 'fixing', toolCalls: [{ name: 'write_file', input: { path: 'src/math.js', content: CALCULATOR_FIX } }] },
      { text: 'done' },
    ]);
    const packet = mockPacket('rehome', repo.path, 'rehome', { escalation: { recoveryAttempts: 0 } });
    const env = { ...stack.env, LANES_REHOME_AFTER_MS: '3000' };
    expect((await runCli(['submit', stack.writePacket('rehome', packet)], { env })).exitCode).toBe(0);
    await waitForStatus(stack, 'rehome', (s) => s.phase === 'blocked');

    // Host A disappears for good; host B is alive on the same task queue.
    a.proc.kill('SIGKILL');
    await a.proc;
    await startWorker('host-b');
    expect((await stack.cli(['resolve', 'rehome', '--retry', '--json'])).exitCode).toBe(0);

    // The lane may still be waiting for its dead host when this attaches: --wait --json then prints a
    // blocked notice line before the report, so the report is the last line.
    const lines = (await runCli(['submit', stack.writePacket('rehome', packet), '--wait', '--json'], { env, timeoutMs: 120_000 })).jsonLines();
    expect(lines.slice(0, -1).every((l: { event?: string }) => l.event === 'blocked')).toBe(true);
    const report = lines[lines.length - 1]!;
    expect(report.state).toBe('finished');
    expect(report.landed).toBe(true);
    const events = (await stack.cli(['events', 'rehome', '--json'])).json() as { type: string; data: Record<string, unknown> }[];
    const moved = events.filter((e) => e.type === 'lane.rehomed');
    expect(moved).toHaveLength(1);
    expect(moved[0]!.data).toMatchObject({ from: `${stack.taskQueue}@host-a`, to: `${stack.taskQueue}@host-b` });
    const st = await stack.client.workflow.getHandle('lane-rehome').query('state');
    expect((st as { hostQueue: string }).hostQueue).toBe(`${stack.taskQueue}@host-b`);
    // Must not: land twice or lose the lane's first checkpoint.
    expect(Number(await repo.git('rev-list', '--count', '--merges', 'main'))).toBe(1);
    expect(report.commits.map((c: { step: string }) => c.step)).toEqual(['work-1', 'work-2']);
  });
});
