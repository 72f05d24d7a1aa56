// Kill the worker mid-batch (SIGKILL, supervised): the run resumes on the restarted worker
// and finishes with every task landed exactly once on the integration branch and the target.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRunningSoon } from '../support/processes.js';
import { type LaneStack, startLaneStack } from '../support/lane-stack.js';
import { basePlan, landedLanes, runEvents, runFixture, writeTask } from '../support/run-assertions.js';

let stack: LaneStack;

beforeAll(async () => {
  stack = await startLaneStack({ workerArgs: ['--supervise'] });
});

afterAll(async () => {
  await stack?.stop();
});

const workerLines = () => (stack.worker?.lines ?? []).flatMap((l) => {
  try {
    return [JSON.parse(l) as { event?: string; pid?: number }];
  } catch {
    return [];
  }
});

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

describe('run drill: worker SIGKILL mid-batch', () => {
  it('the run finishes with every task landed exactly once', async () => {
    const repo = await runFixture(stack, 'killrun');
    // Acceptance takes a few seconds, so the kill lands while the batch's lanes are testing.
    const slow = (file: string) => ({ acceptance: { targeted: [`sleep 3; test -f ${file}`], requiredLevel: 'merge_ready', timeoutMs: 60_000 } });
    const plan = basePlan('killrun', repo, [
      { id: 'a', packet: writeTask('notes/a.txt', 'ok a', slow('notes/a.txt')) },
      { id: 'b', packet: writeTask('notes/b.txt', 'ok b', slow('notes/b.txt')) },
      { id: 'c', packet: writeTask('notes/c.txt', 'ok c'), dependsOn: ['a'] },
    ]);
    const file = stack.writePacket('killrun-plan', plan);
    expect((await stack.cli(['--json', 'run', file])).exitCode).toBe(0);

    const first = await until('worker.ready', () => workerLines().find((l) => l.event === 'worker.ready'));
    await until('batch 1 running', async () => {
      const st = (await stack.cli(['--json', 'run', 'status', 'killrun'])).json();
      return st.tasks?.filter((t: { status: string }) => t.status === 'running').length === 2 ? st : undefined;
    });
    process.kill(first.pid!, 'SIGKILL');
    await until('worker restarted', () => workerLines().find((l) => l.event === 'worker.restarted'));
    const second = await until('second worker ready', () => workerLines().find((l) => l.event === 'worker.ready' && l.pid !== first.pid));
    expect(await isRunningSoon(first.pid!)).toBe(false);
    expect(await isRunningSoon(second.pid!)).toBe(true);

    const report = await until(
      'run end',
      async () => {
        const st = (await stack.cli(['--json', 'run', 'status', 'killrun'])).json();
        return st.state === 'running' ? undefined : st;
      },
      300_000,
    );
    expect(report.state, report.detail).toBe('finished');
    expect(report.tasks.map((t: { status: string }) => t.status)).toEqual(['landed', 'landed', 'landed']);
    // Exactly once: one land commit per lane, on the integration branch and on the target.
    for (const ref of ['lanes-run/killrun', 'main']) expect((await landedLanes(repo, ref)).sort()).toEqual(['killrun.a', 'killrun.b', 'killrun.c']);
    expect(await repo.head('main')).toBe(await repo.head('lanes-run/killrun'));
    // One event per step: no task started or landed twice after the replay.
    const events = runEvents(stack, 'killrun');
    for (const id of ['a', 'b', 'c']) {
      expect(events.filter((e) => e.type === 'task.started' && e.taskId === id)).toHaveLength(1);
      expect(events.filter((e) => e.type === 'task.landed' && e.taskId === id)).toHaveLength(1);
    }
    expect(events.filter((e) => e.type === 'run.finished')).toHaveLength(1);
    // The restarted worker picks the run up after the sticky timeout and the activities' heartbeat timeout.
  }, 300_000);
});
