// Production topology: Temporal on PostgreSQL with mTLS, two worker hosts on one task queue.
// Ten lanes (two per repository, so landings race) land exactly once each, spread over both
// hosts; the lane search attributes work on PostgreSQL visibility; doctor reports the secured
// connection. (Two per repository: a lane gives up after losing three landing races in a row.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALCULATOR_FIX, type FixtureRepo } from '../../src/demo/fixture-repo.js';
import { mockPacket } from '../support/lane-stack.js';
import { type ProdStack, startProdStack } from './support/prod-stack.js';

let stack: ProdStack;
beforeAll(async () => {
  stack = await startProdStack();
  await Promise.all([stack.startHost('host-a'), stack.startHost('host-b')]);
});
afterAll(async () => stack?.stop());

describe('two worker hosts on PostgreSQL, mTLS', () => {
  it('doctor reports mutual TLS, a good handshake, the namespace and every search attribute', async () => {
    const r = await stack.cli(['doctor', '--json']);
    const checks = Object.fromEntries((r.json().checks as { name: string; status: string; details: Record<string, unknown> }[]).map((c) => [c.name, c]));
    expect(checks.connection_security).toMatchObject({ status: 'ok', details: { mode: 'mtls', apiKey: false } });
    expect(checks.tls_handshake!.status).toBe('ok');
    expect(checks.server_reachable!.status).toBe('ok');
    expect(checks.namespace!.status).toBe('ok');
    // Must not: a lane attribute missing on PostgreSQL visibility.
    expect(checks.search_attributes).toMatchObject({ status: 'ok', details: { missing: [] } });
  });

  it('ten lanes, two per repository, land exactly once each, across both hosts', async () => {
    const repos: FixtureRepo[] = await Promise.all([0, 1, 2, 3, 4].map((r) => stack.fixture(`ten-${r}`)));
    const repoOf = (i: number) => repos[i % repos.length]!;
    const ids = Array.from({ length: 10 }, (_, i) => `ten-${i}-${stack.taskQueue.slice(-6)}`);
    for (const [i, id] of ids.entries()) {
      stack.mock.script(id, [
        { text: 'fixing', toolCalls: [{ name: 'write_file', input: { path: 'src/math.js', content: CALCULATOR_FIX } }, { name: 'write_file', input: { path: `notes/lane-${i}.md`, content: `lane ${i}\n` } }] },
        { text: 'done' },
      ]);
    }
    const submits = await Promise.all(ids.map((id) => stack.cli(['submit', stack.writePacket(id, mockPacket(id, repoOf(ids.indexOf(id)).path, id)), '--json'])));
    expect(submits.map((s) => s.exitCode)).toEqual(ids.map(() => 0));
    const reports = await Promise.all(ids.map((id) => stack.result(id)));
    expect(reports.map((r) => [r.state, r.landed])).toEqual(ids.map(() => ['finished', true]));

    // Both hosts ran lanes (each lane's host-bound work happened on the host it claimed).
    const hostQueues = await Promise.all(ids.map(async (id) => ((await stack.client.workflow.getHandle(`lane-${id}`).query('state')) as { hostQueue: string }).hostQueue));
    expect(new Set(hostQueues)).toEqual(new Set([...stack.hosts.values()].map((h) => h.ready.hostQueue)));
    // Must not: a lane landing twice, or one missing from its target branch.
    for (const [r, repo] of repos.entries()) {
      const mine = ids.map((_, i) => i).filter((i) => i % repos.length === r);
      expect(Number(await repo.git('rev-list', '--count', '--merges', 'main'))).toBe(mine.length);
      const files = (await repo.git('ls-tree', '--name-only', 'main', 'notes/')).split('\n').filter(Boolean).sort();
      expect(files).toEqual(mine.map((i) => `notes/lane-${i}.md`).sort());
    }

    // The lane search attributes answer on PostgreSQL visibility.
    const finished = await stack.cli(['list', '--state', 'finished', '--limit', '1000', '--json']);
    expect(finished.exitCode).toBe(0);
    const listed = new Set((finished.json() as { laneId: string }[]).map((l) => l.laneId));
    for (const id of ids) expect(listed.has(id)).toBe(true);
    const blocked = (await stack.cli(['list', '--state', 'blocked', '--limit', '1000', '--json'])).json() as { laneId: string }[];
    expect(blocked.filter((l) => ids.includes(l.laneId))).toEqual([]);
  });
});
