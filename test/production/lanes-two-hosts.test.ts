// Production topology: Temporal on PostgreSQL with mTLS, two worker hosts on one task queue,
// each with its own LANES_HOME. Ten lanes on one remote repository (repo.url, served by
// git daemon on loopback) land exactly once each, spread over both hosts, every landing a
// compare-and-swap push to the one target; the lane search attributes work on PostgreSQL
// visibility; doctor reports the secured connection.
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALCULATOR_FIX } from '../../src/demo/fixture-repo.js';
import { bareCopy, type GitServer, startGitDaemon } from '../support/git-servers.js';
import { mockPacket } from '../support/lane-stack.js';
import { type ProdStack, startProdStack } from './support/prod-stack.js';

let stack: ProdStack;
let daemon: GitServer;
let remote: string;
beforeAll(async () => {
  stack = await startProdStack();
  const source = await stack.fixture('remote-source');
  const bare = await bareCopy(source.path, join(stack.root, 'served', 'calculator.git'));
  daemon = await startGitDaemon(join(bare, '..'), 'calculator.git');
  remote = daemon.url('calculator.git');
  // The hosts trust the served remote (URL roots have their own variable: URLs hold ':').
  stack.env.LANES_TRUSTED_REMOTES = daemon.url('');
  await Promise.all([stack.startHost('host-a'), stack.startHost('host-b')]);
});
afterAll(async () => {
  await stack?.stop();
  await daemon?.close();
});

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

  it('ten lanes on one repo.url remote land exactly once each, across both hosts, each lane branch pushed', async () => {
    const ids = Array.from({ length: 10 }, (_, i) => `ten-${i}-${stack.taskQueue.slice(-6)}`);
    for (const [i, id] of ids.entries()) {
      stack.mock.script(id, [
        { text: 'fixing', toolCalls: [{ name: 'write_file', input: { path: 'src/math.js', content: CALCULATOR_FIX } }, { name: 'write_file', input: { path: `notes/lane-${i}.md`, content: `lane ${i}\n` } }] },
        { text: 'done' },
      ]);
    }
    const submits = await Promise.all(ids.map((id) => stack.cli(['submit', stack.writePacket(id, mockPacket(id, '', id, { repo: { url: remote, baseBranch: 'main' } })), '--json'])));
    expect(submits.map((s) => s.exitCode)).toEqual(ids.map(() => 0));
    const reports = await Promise.all(ids.map((id) => stack.result(id, 200_000)));
    expect(reports.map((r) => [r.state, r.landed])).toEqual(ids.map(() => ['finished', true]));

    // Both hosts ran lanes (each lane's host-bound work happened on the host it claimed).
    const hostQueues = await Promise.all(ids.map(async (id) => ((await stack.client.workflow.getHandle(`lane-${id}`).query('state')) as { hostQueue: string }).hostQueue));
    expect(new Set(hostQueues)).toEqual(new Set([...stack.hosts.values()].map((h) => h.ready.hostQueue)));
    // Must not: a lane landing twice, one missing from the remote target, or a lost lane branch.
    const check = mkdtempSync(join(stack.root, 'check-'));
    const git = async (...args: string[]) => (await execa('git', args, { cwd: check })).stdout.trim();
    await git('clone', '-q', remote, 'c');
    // One land commit per lane (merge-forwards on lane branches are merges too, so count trailers).
    const steps = (await git('-C', 'c', 'log', '--format=%(trailers:key=Lane-Id,valueonly,separator=)|%(trailers:key=Lane-Step,valueonly,separator=)', 'origin/main')).split('\n');
    const lands = steps.filter((l) => l.endsWith('|land')).map((l) => l.split('|')[0]).sort();
    expect(lands).toEqual([...ids].sort());
    const files = (await git('-C', 'c', 'ls-tree', '--name-only', 'origin/main', 'notes/')).split('\n').filter(Boolean).sort();
    expect(files).toEqual(ids.map((_, i) => `notes/lane-${i}.md`).sort());
    const pushed = (await git('ls-remote', '--heads', remote, 'lanes/*')).split('\n').filter(Boolean);
    expect(pushed).toHaveLength(ids.length);
    // Landing contention was absorbed: no lane blocked on a target that kept moving.
    const events = await Promise.all(ids.map(async (id) => (await stack.cli(['events', id])).stdout));
    for (const e of events) expect(e).not.toMatch(/lane\.(blocked|escalated)\s/);
    const rebuilt = events.map((e) => (e.match(/moved during landing; rebuilding the candidate/g) ?? []).length);
    console.log(`[production] ten lanes on one remote: candidates rebuilt after a lost race per lane ${JSON.stringify(rebuilt)}`);

    // The lane search attributes answer on PostgreSQL visibility.
    const finished = await stack.cli(['list', '--state', 'finished', '--limit', '1000', '--json']);
    expect(finished.exitCode).toBe(0);
    const listed = new Set((finished.json() as { laneId: string }[]).map((l) => l.laneId));
    for (const id of ids) expect(listed.has(id)).toBe(true);
    const blocked = (await stack.cli(['list', '--state', 'blocked', '--limit', '1000', '--json'])).json() as { laneId: string }[];
    expect(blocked.filter((l) => ids.includes(l.laneId))).toEqual([]);
  });
});
