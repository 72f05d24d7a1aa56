// Issue 4 through the real stack: recovery, staleness, conflicts, trust, context
// window, provider failures — each lane via the built CLI and a `lanes worker` child.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALCULATOR_FIX, type FixtureRepo } from '../../src/demo/fixture-repo.js';
import { type LaneStack, mockPacket, startLaneStack } from '../support/lane-stack.js';

let stack: LaneStack;
beforeAll(async () => {
  stack = await startLaneStack();
});
afterAll(async () => stack?.stop());

const WRONG_FIX = CALCULATOR_FIX.replace('return a * b;', 'return a + b;');
/** Commits to the repo's main from outside the lane once its agent's first (slow) turn has started. */
async function commitDuringFirstTurn(repo: FixtureRepo, scenario: string, files: Record<string, string>, message: string): Promise<void> {
  for (let i = 0; i < 600 && stack.mock.requestCount(scenario) === 0; i++) await new Promise((res) => setTimeout(res, 100));
  expect(stack.mock.requestCount(scenario)).toBeGreaterThan(0);
  await repo.commitFiles(files, message);
}

async function waitForStatus(id: string, phase: string, timeoutMs = 60_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  let last: any;
  while (Date.now() < deadline) {
    const r = await stack.cli(['status', id, '--json']);
    if (r.exitCode === 0) {
      last = r.json();
      if (last.phase === phase) return last;
    }
    await new Promise((res) => setTimeout(res, 300));
  }
  throw new Error(`lane ${id} did not reach ${phase}; last status ${JSON.stringify(last)}`);
}

async function events(id: string): Promise<any[]> {
  const r = await stack.cli(['events', id, '--json']);
  expect(r.exitCode).toBe(0);
  return r.json();
}

const types = (evs: any[]) => evs.map((e) => e.type);

describe('lane policy through the real stack', () => {
  it('(a) red tests get one fix-up turn with the failing output, then merge', async () => {
    const repo = await stack.fixture('recover');
    stack.mock.script('recover', [
      { text: 'first attempt', toolCalls: [{ name: 'write_file', input: { path: 'src/math.js', content: WRONG_FIX } }] },
      { text: 'done' },
      { text: 'fixing after red tests', toolCalls: [{ name: 'write_file', input: { path: 'src/math.js', content: CALCULATOR_FIX } }] },
      { text: 'fixed' },
    ]);
    const before = await repo.head();
    const r = await stack.cli(['submit', stack.writePacket('recover', mockPacket('recover', repo.path, 'recover')), '--wait', '--json']);
    const report = r.json();
    expect(report.state).toBe('finished');
    expect(r.exitCode).toBe(0);
    const evs = await events('recover');
    const recoveries = evs.filter((e) => e.type === 'lane.recovery.attempted');
    expect(recoveries).toHaveLength(1);
    expect(recoveries[0].data.recipe).toBe('fixup_turn');
    // The fix-up prompt carried the failing output to the model.
    const fixupRequest = stack.mock.requests.filter((q) => q.scenario === 'recover')[2]!;
    expect(JSON.stringify(fixupRequest.body)).toContain('targeted acceptance tests failed');
    // Must not: merge before green, or need an escalation.
    expect(types(evs)).not.toContain('lane.blocked');
    expect(types(evs).indexOf('lane.red')).toBeLessThan(types(evs).indexOf('lane.merged'));
    expect(await repo.git('rev-parse', 'main^1')).toBe(before);
    expect(Number(await repo.git('rev-list', '--count', '--merges', 'main'))).toBe(1);
    // The Web UI view: search attributes filter the lane, current details render its summary.
    const listed = (await stack.cli(['list', '--query', `LanePacketId = 'recover' AND LaneState = 'finished' AND LaneGreenLevel = 'merge_ready'`, '--json'])).json();
    expect(listed.map((l: { laneId: string }) => l.laneId)).toEqual(['recover']);
    const meta = (await stack.client.workflow.getHandle('lane-recover').query('__temporal_workflow_metadata')) as { currentDetails?: string };
    expect(meta.currentDetails).toContain('**finished**');
    expect(meta.currentDetails).toContain('green merge_ready');
  });

  it('(c) a base that moves during the lane is merged forward before landing', async () => {
    const repo = await stack.fixture('stale');
    stack.mock.script('stale', [
      // The agent's first turn takes a while; someone else commits to main meanwhile (the
      // lane itself cannot: the repository's git dir is read-only to everything it runs).
      { text: 'thinking it over', toolCalls: [{ name: 'bash', input: { command: 'sleep 4' } }] },
      { text: 'fixing', toolCalls: [{ name: 'write_file', input: { path: 'src/math.js', content: CALCULATOR_FIX } }] },
      { text: 'done' },
    ]);
    const packet = mockPacket('stale', repo.path, 'stale');
    const submitted = stack.cli(['submit', stack.writePacket('stale', packet), '--wait', '--json']);
    await commitDuringFirstTurn(repo, 'stale', { 'README.md': '# calculator\n\nmore docs\n' }, 'docs: base moved');
    const r = await submitted;
    expect(r.json().state).toBe('finished');
    const evs = await events('stale');
    expect(types(evs)).toContain('branch.stale_against_main');
    expect(types(evs)).toContain('branch.merged_forward');
    expect(types(evs).indexOf('branch.merged_forward')).toBeLessThan(types(evs).indexOf('lane.merged'));
    expect(readFileSync(join(repo.path, 'README.md'), 'utf8')).toContain('more docs');
    expect(await repo.git('log', '-1', '--format=%B', 'main')).toContain('Lane-Step: land');
    // Must not: lose the base commit that arrived meanwhile.
    expect(await repo.git('log', '--format=%s', 'main')).toContain('docs: base moved');
  });

  it('(d) a conflicting base change blocks the lane with merge_conflict and never merges', async () => {
    const repo = await stack.fixture('conflict');
    const theirs = 'export function add(a, b) {\n  return b + a;\n}\n\nexport const multiply = (x, y) => x * y;\n';
    stack.mock.script('conflict', [
      { text: 'a conflicting change lands on main meanwhile', toolCalls: [{ name: 'bash', input: { command: 'sleep 4' } }] },
      { text: 'fixing', toolCalls: [{ name: 'write_file', input: { path: 'src/math.js', content: CALCULATOR_FIX } }] },
      { text: 'done' },
    ]);
    const packet = mockPacket('conflict', repo.path, 'conflict');
    expect((await stack.cli(['submit', stack.writePacket('conflict', packet)])).exitCode).toBe(0);
    await commitDuringFirstTurn(repo, 'conflict', { 'src/math.js': theirs }, 'main: rewrite math');
    const status = await waitForStatus('conflict', 'blocked');
    expect(status.blocker.class).toBe('merge_conflict');
    expect(status.recommendedAction).toMatch(/resolve/);
    const mainHead = await repo.head();
    expect(await repo.git('log', '-1', '--format=%s', 'main')).toBe('main: rewrite math');
    // --approve cannot override a conflict.
    const approve = await stack.cli(['resolve', 'conflict', '--approve', '--json']);
    expect(approve.exitCode).toBe(2);
    const abort = await stack.cli(['resolve', 'conflict', '--abort', '--json']);
    expect(abort.exitCode).toBe(0);
    const r = await stack.cli(['submit', stack.writePacket('conflict', packet), '--wait', '--json']);
    expect(r.exitCode).toBe(1);
    expect(r.json().failureClass).toBe('merge_conflict');
    // Must not: move main, or leave a merge commit.
    expect(await repo.head()).toBe(mainHead);
    expect(Number(await repo.git('rev-list', '--count', '--merges', 'main'))).toBe(0);
  });

  it('(e) an untrusted repo waits in trust_required with no model request until `lanes trust`', async () => {
    const repo = await stack.fixture('untrusted', { trusted: false });
    stack.mock.script('untrusted', [{ text: 'fixing', toolCalls: [{ name: 'write_file', input: { path: 'src/math.js', content: CALCULATOR_FIX } }] }, { text: 'done' }]);
    expect((await stack.cli(['submit', stack.writePacket('untrusted', mockPacket('untrusted', repo.path, 'untrusted'))])).exitCode).toBe(0);
    const status = await waitForStatus('untrusted', 'trust_required');
    expect(status.blocker.class).toBe('trust_gate');
    await new Promise((res) => setTimeout(res, 1_000));
    // Must not: send anything to the model before the repo is trusted.
    expect(stack.mock.requestCount('untrusted')).toBe(0);
    expect((await stack.cli(['trust', 'untrusted', '--json'])).exitCode).toBe(0);
    const r = await stack.cli(['submit', stack.writePacket('untrusted', mockPacket('untrusted', repo.path, 'untrusted')), '--wait', '--json']);
    expect(r.json().state).toBe('finished');
    const evs = await events('untrusted');
    expect(types(evs).slice(0, 3)).toEqual(['lane.started', 'lane.trust_required', 'lane.trust_resolved']);
    expect(stack.mock.requestCount('untrusted')).toBeGreaterThan(0);
  });

  it('(f) an oversized turn is compacted once; a request that cannot fit blocks with context_window and a hint', async () => {
    const big = await stack.fixture('bigfile', { files: { 'package.json': '{"type":"module","scripts":{"test":"node --test test/"}}\n', 'big.txt': `${'x'.repeat(19)}\n`.repeat(1_400), 'src/math.js': 'export function add(a, b) {\n  return a + b;\n}\n', 'test/math.test.js': "import { test } from 'node:test';\nimport assert from 'node:assert/strict';\nimport * as math from '../src/math.js';\ntest('multiply', () => assert.equal(math.multiply?.(4, 5), 20));\n" } });
    stack.mock.script('bigfile', [
      { text: 'reading a large file', toolCalls: [{ name: 'read_file', input: { path: 'big.txt' } }] },
      { text: 'fixing', toolCalls: [{ name: 'write_file', input: { path: 'src/math.js', content: CALCULATOR_FIX } }] },
      { text: 'done' },
    ]);
    // An unknown model gets the default 32k window; reserving 26k for output leaves ~6.7k tokens of input.
    const packet = mockPacket('bigfile', big.path, 'bigfile', { agent: { provider: 'anthropic', model: 'lanes-test-small', maxTokens: 26_000, maxTurns: 6 } });
    const r = await stack.cli(['submit', stack.writePacket('bigfile', packet), '--wait', '--json']);
    expect(r.json().state).toBe('finished');
    const evs = await events('bigfile');
    expect(types(evs).filter((t) => t === 'compaction.applied')).toHaveLength(1);
    expect(types(evs)).not.toContain('context_window.blocked');

    const huge = await stack.fixture('huge');
    const tooBig = mockPacket('huge', huge.path, 'text', { objective: `[[mock:text]] ${'y'.repeat(60_000)}`, agent: { provider: 'anthropic', model: 'lanes-test-small', maxTokens: 26_000, maxTurns: 2 } });
    expect((await stack.cli(['submit', stack.writePacket('huge', tooBig)])).exitCode).toBe(0);
    const status = await waitForStatus('huge', 'blocked');
    expect(status.blocker.class).toBe('context_window');
    const hugeEvents = await events('huge');
    const blocked = hugeEvents.find((e) => e.type === 'context_window.blocked');
    expect(blocked.detail).toMatch(/scope|split|larger context/);
    // Must not: send the oversized request to the provider, or dump a raw provider error.
    expect(stack.mock.requests.filter((q) => JSON.stringify(q.body).includes('y'.repeat(1000)))).toHaveLength(0);
    await stack.cli(['resolve', 'huge', '--abort']);
  });

  it('a webhook receiver gets a well-formed summary on each state change; a dead one never blocks the lane', async () => {
    const received: any[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        received.push({ headers: req.headers, body: JSON.parse(body) });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    try {
      const repo = await stack.fixture('hooked');
      stack.mock.script('hooked', [{ text: 'fixing', toolCalls: [{ name: 'write_file', input: { path: 'src/math.js', content: CALCULATOR_FIX } }] }, { text: 'done' }]);
      const r = await stack.cli(['submit', stack.writePacket('hooked', mockPacket('hooked', repo.path, 'hooked', { report: { webhook: url } })), '--wait', '--json']);
      expect(r.json().state).toBe('finished');
      const phases = received.map((x) => x.body.summary.phase);
      expect(phases).toEqual(expect.arrayContaining(['ready_for_prompt', 'running', 'finished']));
      for (const { headers, body } of received) {
        expect(headers['content-type']).toMatch(/application\/json/);
        expect(body.schema).toBe('lanes.summary/v1');
        expect(body.laneId).toBe('hooked');
        expect(Object.keys(body.summary).sort()).toEqual(['blocker', 'greenLevel', 'laneId', 'lastCheckpoint', 'lastEvent', 'lastSeq', 'phase', 'recommendedAction'].sort());
        expect(typeof body.summary.recommendedAction).toBe('string');
      }
      // Must not: deliver the same state change twice.
      const ids = received.map((x) => x.headers['lanes-delivery-id']);
      expect(new Set(ids).size).toBe(ids.length);
    } finally {
      server.close();
    }
    // A receiver that is down: the lane still finishes.
    const repo2 = await stack.fixture('deadhook');
    stack.mock.script('deadhook', [{ text: 'fixing', toolCalls: [{ name: 'write_file', input: { path: 'src/math.js', content: CALCULATOR_FIX } }] }, { text: 'done' }]);
    const r2 = await stack.cli(['submit', stack.writePacket('deadhook', mockPacket('deadhook', repo2.path, 'deadhook', { report: { webhook: url } })), '--wait', '--json']);
    expect(r2.json().state).toBe('finished');
  });

  it('a blown budget blocks in block mode (never merges, --approve refused) and only warns in warn mode', async () => {
    const repo = await stack.fixture('budget-block');
    const fix = [{ text: 'fixing', toolCalls: [{ name: 'write_file', input: { path: 'src/math.js', content: CALCULATOR_FIX } }] }, { text: 'done' }];
    stack.mock.script('budget-block', fix);
    const tight = { budget: { tokens: 10, mode: 'block' } };
    expect((await stack.cli(['submit', stack.writePacket('budget-block', mockPacket('budget-block', repo.path, 'budget-block', tight))])).exitCode).toBe(0);
    const status = await waitForStatus('budget-block', 'blocked');
    expect(status.blocker.class).toBe('budget');
    expect((await stack.cli(['resolve', 'budget-block', '--approve'])).exitCode).toBe(2);
    expect((await stack.cli(['resolve', 'budget-block', '--abort'])).exitCode).toBe(0);
    const r = await stack.cli(['submit', stack.writePacket('budget-block', mockPacket('budget-block', repo.path, 'budget-block', tight)), '--wait', '--json']);
    expect(r.json().failureClass).toBe('budget');
    expect(types(await events('budget-block'))).toContain('budget.block');
    // Must not: merge past a blocked budget.
    expect(Number(await repo.git('rev-list', '--count', '--merges', 'main'))).toBe(0);

    const repo2 = await stack.fixture('budget-warn');
    stack.mock.script('budget-warn', fix);
    const r2 = await stack.cli(['submit', stack.writePacket('budget-warn', mockPacket('budget-warn', repo2.path, 'budget-warn', { budget: { tokens: 10, mode: 'warn' } })), '--wait', '--json']);
    expect(r2.json().state).toBe('finished');
    const evs = await events('budget-warn');
    expect(types(evs).filter((t) => t === 'budget.warn')).toHaveLength(1);
    expect(types(evs)).not.toContain('lane.blocked');
  });

  it('merge.requireReview blocks a green lane until --approve; a diff outside the write manifest never merges', async () => {
    const repo = await stack.fixture('review');
    stack.mock.script('review', [{ text: 'fixing', toolCalls: [{ name: 'write_file', input: { path: 'src/math.js', content: CALCULATOR_FIX } }] }, { text: 'done' }]);
    const packet = mockPacket('review', repo.path, 'review', { merge: { requireReview: true } });
    expect((await stack.cli(['submit', stack.writePacket('review', packet)])).exitCode).toBe(0);
    const status = await waitForStatus('review', 'blocked');
    expect(status.blocker.class).toBe('review');
    expect(status.greenLevel).toBe('targeted');
    // Must not: land before the review.
    expect(Number(await repo.git('rev-list', '--count', '--merges', 'main'))).toBe(0);
    expect((await stack.cli(['resolve', 'review', '--approve', '--note', 'looks right'])).exitCode).toBe(0);
    const r = await stack.cli(['submit', stack.writePacket('review', packet), '--wait', '--json']);
    expect(r.json().state).toBe('finished');
    expect(Number(await repo.git('rev-list', '--count', '--merges', 'main'))).toBe(1);

    const repo2 = await stack.fixture('outscope');
    stack.mock.script('outscope', [
      { text: 'fixing, and a stray file via bash', toolCalls: [{ name: 'write_file', input: { path: 'src/math.js', content: CALCULATOR_FIX } }, { name: 'bash', input: { command: 'echo stray > NOTES.txt' } }] },
      { text: 'done' },
    ]);
    const scoped = mockPacket('outscope', repo2.path, 'outscope', { scope: { kind: 'module', writeManifest: ['src/**'] } });
    const r2 = await stack.cli(['submit', stack.writePacket('outscope', scoped), '--wait', '--json']);
    expect(r2.exitCode).toBe(1);
    expect(r2.json().failureClass).toBe('manifest');
    expect(r2.json().detail).toContain('NOTES.txt');
    // Must not: merge a diff that leaves the packet's scope.
    expect(Number(await repo2.git('rev-list', '--count', '--merges', 'main'))).toBe(0);
  });

  it('commit.policy per_turn checkpoints every turn that changed files as its own commit', async () => {
    const repo = await stack.fixture('perturn');
    stack.mock.script('perturn', [
      { text: 'reading', toolCalls: [{ name: 'read_file', input: { path: 'src/math.js' } }] },
      { text: 'fixing', toolCalls: [{ name: 'write_file', input: { path: 'src/math.js', content: CALCULATOR_FIX } }] },
      { text: 'docs', toolCalls: [{ name: 'write_file', input: { path: 'src/NOTES.md', content: 'multiply added\n' } }] },
      { text: 'done' },
    ]);
    const r = await stack.cli(['submit', stack.writePacket('perturn', mockPacket('perturn', repo.path, 'perturn', { commit: { policy: 'per_turn' } })), '--wait', '--json']);
    expect(r.json().state).toBe('finished');
    expect(r.json().commits.map((c: { step: string }) => c.step)).toEqual(['turn-2', 'turn-3']);
    // Must not: an empty commit for the read-only turn, or a trailing work commit with nothing in it.
    const steps = (await repo.git('log', '--format=%(trailers:key=Lane-Step,valueonly)', 'main')).split('\n').filter(Boolean);
    expect(steps).toEqual(['land', 'turn-3', 'turn-2']);
  });

  it('(g) provider 401 blocks as provider_auth with exactly one request; 429 then success merges', async () => {
    const repo = await stack.fixture('auth');
    expect((await stack.cli(['submit', stack.writePacket('auth', mockPacket('auth', repo.path, 'auth'))])).exitCode).toBe(0);
    const status = await waitForStatus('auth', 'blocked');
    expect(status.blocker.class).toBe('provider_auth');
    await new Promise((res) => setTimeout(res, 1_500));
    // Must not: retry a 401 (no retry storm).
    expect(stack.mock.requestCount('auth')).toBe(1);
    await stack.cli(['resolve', 'auth', '--abort']);

    const repo2 = await stack.fixture('limited');
    stack.mock.script('limited', [{ text: 'fixing', toolCalls: [{ name: 'write_file', input: { path: 'src/math.js', content: CALCULATOR_FIX } }] }, { text: 'done' }]);
    const r = await stack.cli(['submit', stack.writePacket('limited', mockPacket('limited', repo2.path, 'ratelimited.limited')), '--wait', '--json']);
    expect(r.json().state).toBe('finished');
    expect(r.json().landed).toBe(true);
    const limited = stack.mock.requests.filter((q) => q.scenario === 'ratelimited.limited');
    expect(limited[0]!.status).toBe(429);
    // The 429 was retried once by Temporal, not by the SDK, and no turn was billed twice.
    expect(limited.filter((q) => q.status === 200).map((q) => q.turn)).toEqual([0, 1]);
  });
});
