// Production topology under outages: a worker host lost for good (its lane re-homes), the
// Temporal server SIGKILLed and restarted mid-lane, PostgreSQL restarted mid-lane. Each lane
// still lands exactly once with every step's commit kept.
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALCULATOR_FIX } from '../../src/demo/fixture-repo.js';
import { mockPacket } from '../support/lane-stack.js';
import { control, type ProdStack, startProdStack, waitFor } from './support/prod-stack.js';

let stack: ProdStack;
beforeAll(async () => {
  stack = await startProdStack();
});
afterAll(async () => stack?.stop());

const phaseOf = async (id: string) => {
  const r = await stack.cli(['status', id, '--json']);
  return r.exitCode === 0 ? (r.json().phase as string) : undefined;
};

/** Resolves once the lane committed its work and is running its (slow) acceptance tests. */
const midTests = (id: string) =>
  waitFor(`lane ${id} running its tests`, async () => {
    const types = ((await stack.client.workflow.getHandle(`lane-${id}`).query('events')) as { type: string }[]).map((e) => e.type);
    return types.includes('lane.commit.created') && !types.includes('lane.green') && !types.includes('lane.red') ? true : undefined;
  });

/** A lane whose acceptance run takes a few seconds, so an outage can hit it mid-run. */
async function slowLane(name: string) {
  const repo = await stack.fixture(name);
  stack.mock.script(name, [{ text: 'fixing', toolCalls: [{ name: 'write_file', input: { path: 'src/math.js', content: CALCULATOR_FIX } }] }, { text: 'done' }]);
  const packet = mockPacket(name, repo.path, name, {
    acceptance: { targeted: ['sleep 4 && node --test test/'], requiredLevel: 'merge_ready', timeoutMs: 120_000 },
  });
  expect((await stack.cli(['submit', stack.writePacket(name, packet), '--json'])).exitCode).toBe(0);
  return repo;
}

async function expectLandedOnce(name: string, repo: Awaited<ReturnType<typeof slowLane>>) {
  const report = await stack.result(name);
  expect(report.state).toBe('finished');
  expect(report.landed).toBe(true);
  // Must not: a second landing or a lost/repeated step after the outage.
  expect(Number(await repo.git('rev-list', '--count', '--merges', 'main'))).toBe(1);
  expect(report.commits.map((c) => c.step)).toEqual(['work-1']);
  const events = (await stack.cli(['events', name, '--json'])).json() as { type: string }[];
  expect(events.filter((e) => e.type === 'lane.finished')).toHaveLength(1);
}

describe('outages on the production topology', () => {
  it('a worker host SIGKILLed for good: its blocked lane re-homes to the other host and lands once', async () => {
    const a = await stack.startHost('host-a');
    const repo = await stack.fixture('rehome');
    // Red until the gate file exists: the lane blocks on host A with its fix committed.
    const gate = join(stack.root, 'rehome-gate');
    stack.mock.script('rehome', [{ text: 'fixing', toolCalls: [{ name: 'write_file', input: { path: 'src/math.js', content: CALCULATOR_FIX } }] }, { text: 'done' }]);
    const packet = mockPacket('rehome', repo.path, 'rehome', {
      escalation: { recoveryAttempts: 0 },
      acceptance: { targeted: [`test -e ${gate} && node --test test/`], requiredLevel: 'merge_ready', timeoutMs: 60_000 },
    });
    expect((await stack.cli(['submit', stack.writePacket('rehome', packet)], { env: { LANES_REHOME_AFTER_MS: '3000' } })).exitCode).toBe(0);
    await waitFor('lane blocked', async () => ((await phaseOf('rehome')) === 'blocked' ? true : undefined));

    // Host A is gone for good (its LANES_HOME stays behind, as a dead disk would); host B is alive.
    await stack.killHost('host-a', 'SIGKILL');
    const oldWorktree = join(a.home, 'worktrees', 'rehome');
    const before = statSync(join(oldWorktree, 'src/math.js')).mtimeMs;
    const b = await stack.startHost('host-b');
    writeFileSync(gate, '');
    expect((await stack.cli(['resolve', 'rehome', '--retry', '--json'])).exitCode).toBe(0);
    const report = await stack.result('rehome');
    expect(report).toMatchObject({ state: 'finished', landed: true });
    const events = (await stack.cli(['events', 'rehome', '--json'])).json() as { type: string; data: Record<string, unknown> }[];
    const moved = events.filter((e) => e.type === 'lane.rehomed');
    expect(moved).toHaveLength(1);
    expect(moved[0]!.data).toMatchObject({ from: a.ready.hostQueue, to: b.ready.hostQueue });
    expect(((await stack.client.workflow.getHandle('lane-rehome').query('state')) as { hostQueue: string }).hostQueue).toBe(b.ready.hostQueue);
    // Must not: land twice, lose the checkpoint, or write into the lost host's worktree.
    expect(Number(await repo.git('rev-list', '--count', '--merges', 'main'))).toBe(1);
    expect(report.commits.map((c) => c.step)).toEqual(['work-1']);
    expect(await repo.git('show', 'main:src/math.js')).toBe(CALCULATOR_FIX.trimEnd());
    expect(statSync(join(oldWorktree, 'src/math.js')).mtimeMs).toBe(before);
  });

  it('the Temporal server SIGKILLed and restarted mid-lane: the lane goes on and lands once', async () => {
    if (!stack.hosts.size) await stack.startHost('host-b');
    const repo = await slowLane('server-kill');
    await midTests('server-kill');
    await control('server/kill');
    // While the server is down a client is refused with a clear error, not a hang.
    const down = await stack.cli(['status', 'server-kill', '--json']);
    expect(down.exitCode).toBe(1);
    expect(down.json().error.message).toMatch(/cannot reach Temporal/);
    await control('server/start');
    await expectLandedOnce('server-kill', repo);
  });

  it('PostgreSQL restarted mid-lane: the lane goes on and lands once', async () => {
    if (!stack.hosts.size) await stack.startHost('host-b');
    const repo = await slowLane('pg-restart');
    await midTests('pg-restart');
    await control('postgres/restart');
    await expectLandedOnce('pg-restart', repo);
  });
});
