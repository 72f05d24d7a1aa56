// Dead workers are noticed in seconds, not at a step's start-to-close timeout: a
// lane whose git step was running on a worker that died — with no in-flight record
// for the reaper to act on — resumes once the step's heartbeat timeout (15 s) fires.
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALCULATOR_FIX } from '../../src/demo/fixture-repo.js';
import { faultRecordPath } from '../../src/faults/index.js';
import { inflightDir } from '../../src/worker/inflight.js';
import { spawnCli } from '../support/cli.js';
import { pollUntil } from '../support/lane-assertions.js';
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

describe('a worker that dies mid-step', () => {
  it('leaves no lane stalled: the git step is retried after its heartbeat timeout even without a reaper record', async () => {
    const hostId = 'host-dead';
    // The commit step sleeps (heartbeating) right after committing: a window to kill the worker in.
    const plan = join(stack.home, '..', 'slow-commit.json');
    writeFileSync(plan, JSON.stringify([{ point: 'after_commit', fault: 'delay', delayMs: 600_000, times: 1 }]));
    const env = { ...stack.env, LANES_HOST_ID: hostId, LANES_FAULT_PLAN: plan };
    workers.push(await spawnCli(['worker', '--shutdown-grace-ms', '1000'], { env }));

    const repo = await stack.fixture('dead-worker');
    stack.mock.script('dead-worker', [{ text: 'fixing', toolCalls: [{ name: 'write_file', input: { path: 'src/math.js', content: CALCULATOR_FIX } }] }, { text: 'done' }]);
    const packetFile = stack.writePacket('dead-worker', mockPacket('dead-worker', repo.path, 'dead-worker'));
    expect((await stack.cli(['submit', packetFile])).exitCode).toBe(0);

    // The worker is inside commitWork (the commit exists, the step has not returned).
    await pollUntil('the commit step to be running', () => (existsSync(faultRecordPath(stack.home, 'dead-worker', 'after_commit')) ? true : undefined), 120_000);
    workers[0]!.proc.kill('SIGKILL');
    await workers[0]!.proc;
    const killedAt = Date.now();
    // As if the worker died before recording the attempt: the reaper has nothing to act on.
    const inflight = inflightDir(stack.home, hostId);
    for (const f of existsSync(inflight) ? readdirSync(inflight) : []) rmSync(join(inflight, f), { force: true });

    const restarted = await spawnCli(['worker', '--shutdown-grace-ms', '1000'], { env });
    workers.push(restarted);
    expect(restarted.ready.reapedActivities).toEqual([]);

    // Submitting the same packet again attaches to the lane and waits for its report.
    const report = (await stack.cli(['submit', packetFile, '--wait', '--json'], { timeoutMs: 300_000 })).json();
    const events = (await stack.cli(['events', 'dead-worker', '--json'])).json() as { type: string; ts: string; data: Record<string, unknown> }[];
    const commitEvent = events.find((e) => e.type === 'lane.commit.created');
    expect(commitEvent).toBeDefined();
    const resumedAfterMs = Date.parse(commitEvent!.ts) - killedAt;
    // Generous (the target is ~30 s on a busy 2-core machine); the old 5 min start-to-close would fail it.
    expect(resumedAfterMs).toBeLessThan(120_000);
    expect(report.state).toBe('finished');
    expect(report.landed).toBe(true);
    // Must not: commit the work twice, or land twice.
    expect(report.commits.map((c: { step: string }) => c.step)).toEqual(['work-1']);
    expect(commitEvent!.data.created).toBe(false);
    expect(Number(await repo.git('rev-list', '--count', '--grep', 'Lane-Step: work-1', 'main'))).toBe(1);
    expect(Number(await repo.git('rev-list', '--count', '--merges', 'main'))).toBe(1);
  });
});
