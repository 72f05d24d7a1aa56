// External coding agents as lane agents (issue 15): the REAL `claude` and `codex`
// binaries (pinned dev dependencies) and a small command agent each fix the fixture
// in a lane run by a `lanes worker` child process, against the mock model server
// over HTTP; the lane lands once with the agent's turns and usage recorded. Offline.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AGENT_FIX_SCRIPTS, CLAUDE_CODE_FIX_SCRIPT, COMMAND_AGENT_FIX_SCRIPT } from '../../src/fixtures/agent-scripts.js';
import type { FixtureRepo } from '../../src/demo/fixture-repo.js';
import { eventsFile, expectWellFormedEvents, laneDir, mergeCount, waitForStatus } from '../support/lane-assertions.js';
import { type LaneStack, mockPacket, startLaneStack } from '../support/lane-stack.js';

const commandAgent = join(process.cwd(), 'dist', 'testkit', 'command-agent.js');
let stack: LaneStack;

beforeAll(async () => {
  stack = await startLaneStack();
  for (const [name, turns] of Object.entries(AGENT_FIX_SCRIPTS)) stack.mock.script(name, turns);
});

afterAll(async () => {
  await stack?.stop();
});

async function submitAndLand(repo: FixtureRepo, laneId: string, agent: Record<string, unknown>, scenario: string) {
  const file = stack.writePacket(laneId, mockPacket(laneId, repo.path, scenario, { agent }));
  const r = await stack.cli(['submit', file, '--wait', '--json'], { timeoutMs: 240_000 });
  expect(r.exitCode, r.stdout + r.stderr).toBe(0);
  const report = r.json();
  expect(report).toMatchObject({ state: 'finished', greenLevel: 'merge_ready', landed: true, failureClass: null });
  expect(await mergeCount(repo)).toBe(1);
  expect(await repo.git('show', 'main:src/math.js')).toContain('export function multiply(a, b)');
  const events = expectWellFormedEvents(eventsFile(stack, laneId), laneId);
  const types = events.map((e) => e.type);
  // Must NOT happen: a failure, a refusal, a second pass, or a second terminal event.
  expect(types).not.toContain('lane.failed');
  expect(types).not.toContain('lane.recovery.attempted');
  expect(types.filter((t) => t === 'lane.finished' || t === 'lane.failed')).toHaveLength(1);
  expect(existsSync(join(laneDir(stack, laneId), 'agent', 'pass-0002.json'))).toBe(false);
  const turns = events.filter((e) => e.type === 'lane.turn.completed');
  return { report, events, turns };
}

describe('external agents as lane agents', () => {
  it('claude_code: the real claude binary fixes the fixture; the lane lands once with its turns, tool uses and usage', async () => {
    const repo = await stack.fixture('ext-claude');
    const { report, turns } = await submitAndLand(repo, 'ext-claude', { kind: 'claude_code', model: 'claude-sonnet-4-5', maxTurns: 8 }, 'claude-fix');
    expect(turns.map((t) => (t.data.toolUses as { name: string }[]).map((u) => u.name))).toEqual([['Read'], ['Edit'], ['Bash'], []]);
    expect(turns.every((t) => t.data.kind === 'claude_code' && typeof t.data.sessionId === 'string')).toBe(true);
    expect(report.provider).toMatchObject({ name: 'anthropic', scripted: false });
    expect(report.usage.turns).toBe(4);
    expect(report.usage.inputTokens).toBeGreaterThan(0);
    expect(report.usage.costUsd).toBeGreaterThan(0);
    const reqs = stack.mock.requests.filter((q) => q.scenario === 'claude-fix');
    expect(reqs.every((q) => q.vendor === 'anthropic' && q.status === 200)).toBe(true);
  });

  it('codex: the real codex binary fixes the fixture over the Responses API and the lane lands once', async () => {
    const repo = await stack.fixture('ext-codex');
    const { report, turns } = await submitAndLand(repo, 'ext-codex', { kind: 'codex', model: 'gpt-5.1-codex' }, 'codex-fix');
    expect(turns.flatMap((t) => (t.data.toolUses as { name: string }[]).map((u) => u.name))).toEqual(['shell', 'shell', 'shell']);
    expect(report.provider).toMatchObject({ name: 'openai', scripted: false });
    expect(report.usage.inputTokens).toBeGreaterThan(0);
    // Must NOT happen: the codex lane talking to the Anthropic endpoint.
    expect(stack.mock.requests.filter((q) => q.scenario === 'codex-fix').every((q) => q.vendor === 'responses')).toBe(true);
  });

  it('command: a script speaking the stream-json lines fixes the fixture and the lane lands', async () => {
    const repo = await stack.fixture('ext-command');
    const { turns } = await submitAndLand(
      repo,
      'ext-command',
      { kind: 'command', provider: 'anthropic', model: 'claude-sonnet-4-5', command: { argv: [process.execPath, commandAgent] } },
      'command-fix',
    );
    expect(turns).toHaveLength(4);
    expect(turns.every((t) => t.data.kind === 'command')).toBe(true);
  });

  it('turns appear as lane.turn.completed events while the pass still runs, each once', async () => {
    const repo = await stack.fixture('ext-live');
    const laneId = 'ext-live';
    // The third turn runs the tests after a pause: the first two turns are done well before the pass ends.
    stack.mock.script('command-live', [
      ...COMMAND_AGENT_FIX_SCRIPT.slice(0, 2),
      { text: 'Running the tests.', toolCalls: [{ name: 'bash', input: { command: 'sleep 8; node --test test/' } }] },
      COMMAND_AGENT_FIX_SCRIPT[3]!,
    ]);
    const agent = { kind: 'command', provider: 'anthropic', model: 'claude-sonnet-4-5', command: { argv: [process.execPath, commandAgent] } };
    const file = stack.writePacket(laneId, mockPacket(laneId, repo.path, 'command-live', { agent }));
    expect((await stack.cli(['submit', file, '--json'])).exitCode).toBe(0);
    const passFileOf = join(laneDir(stack, laneId), 'agent', 'pass-0001.json');
    let live: { type: string; data: Record<string, unknown> }[] = [];
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const r = await stack.cli(['events', laneId, '--json']);
      live = r.exitCode === 0 ? (r.json() as typeof live).filter((e) => e.type === 'lane.turn.completed') : [];
      if (live.length >= 2) break;
      await new Promise((res) => setTimeout(res, 300));
    }
    // Read right after the events: the pass that produced them has not finished.
    const record = JSON.parse(readFileSync(passFileOf, 'utf8')) as { status: string };
    expect(live.map((e) => e.data.agentTurn).slice(0, 2)).toEqual([1, 2]);
    expect(live[0]!.data.toolUses).toEqual([{ name: 'read_file', summary: 'src/math.js' }]);
    expect(live[0]!.data.usage).toMatchObject({ inputTokens: expect.any(Number) });
    expect(record.status).toBe('running');
    const done = await waitForStatus(stack, laneId, (s) => s.phase === 'finished' || s.phase === 'failed' || s.phase === 'blocked', 120_000);
    expect(done.phase, JSON.stringify(done)).toBe('finished');
    const turns = expectWellFormedEvents(eventsFile(stack, laneId), laneId).filter((e) => e.type === 'lane.turn.completed');
    // Must NOT happen: a turn emitted twice (live and again from the summary), or one missing.
    expect(turns.map((e) => e.data.agentTurn)).toEqual([1, 2, 3, 4]);
    expect(turns.map((e) => e.data.turn)).toEqual([1, 2, 3, 4]);
  }, 180_000);

  it('claude_code in the lane sandbox: its shell cannot write outside the worktree, read another lane or reach Temporal; the lane lands its fix', async () => {
    const repo = await stack.fixture('ext-escape');
    const laneId = 'ext-escape';
    const sentinel = join(stack.reposDir, 'escape-sentinel.txt');
    writeFileSync(sentinel, 'untouched\n');
    const other = join(stack.home, 'worktrees', 'other-lane');
    mkdirSync(other, { recursive: true });
    writeFileSync(join(other, 'secret.txt'), 'other lane secret\n');
    const [host, port] = inject('temporalAddress').split(':');
    const js = (code: string) => `node -e ${JSON.stringify(code)}`;
    const probe = [
      js(`try{require('fs').writeFileSync(${JSON.stringify(sentinel)},'escaped');console.log('WROTE')}catch(e){console.log('WRITEFAIL',e.code)}`),
      js(`try{console.log(require('fs').readFileSync(${JSON.stringify(join(other, 'secret.txt'))},'utf8'))}catch(e){console.log('READFAIL',e.code)}`),
      js(`require('net').connect(${port},'${host}').on('connect',()=>{console.log('CONNECTED');process.exit(0)}).on('error',e=>console.log('NETFAIL',e.code))`),
      'echo "TEMPORAL=[$TEMPORAL_ADDRESS] LANES=[$LANES_HOME]"',
    ].join('; ');
    stack.mock.script('claude-escape', [
      CLAUDE_CODE_FIX_SCRIPT[0]!,
      { text: 'Looking around.', toolCalls: [{ name: 'Bash', input: { command: probe, description: 'Probe the sandbox' } }] },
      ...CLAUDE_CODE_FIX_SCRIPT.slice(1),
    ]);
    await submitAndLand(repo, laneId, { kind: 'claude_code', model: 'claude-sonnet-4-5', maxTurns: 8 }, 'claude-escape');
    const stream = readFileSync(join(laneDir(stack, laneId), 'agent', 'pass-0001.jsonl'), 'utf8');
    // The Bash tool's result (a user line), not the command that asked for it.
    const probeOut = stream.split('\n').find((l) => l.startsWith('{"type":"user"') && /WRITEFAIL|WROTE/.test(l)) ?? '';
    expect(probeOut).toMatch(/WRITEFAIL EROFS/);
    expect(probeOut).toMatch(/READFAIL ENOENT/);
    expect(probeOut).toMatch(/NETFAIL E(CONNREFUSED|NETUNREACH)/);
    expect(probeOut).toContain('TEMPORAL=[] LANES=[]');
    // Must NOT happen: the sentinel outside changes, the other lane's file or the frontend is reached.
    expect(readFileSync(sentinel, 'utf8')).toBe('untouched\n');
    expect(stream).not.toContain('other lane secret');
    expect(probeOut).not.toContain('CONNECTED');
  }, 240_000);

  it('a stalled claude is killed, recovered once by resuming its session, then blocks classified tool_runtime', async () => {
    const repo = await stack.fixture('ext-stall');
    const laneId = 'ext-stall';
    const file = stack.writePacket(laneId, mockPacket(laneId, repo.path, 'timeout', { agent: { kind: 'claude_code', model: 'claude-sonnet-4-5', stallTimeoutMs: 8_000 } }));
    expect((await stack.cli(['submit', file, '--json'])).exitCode).toBe(0);
    let status: { phase: string; failureClass: string | null } | undefined;
    const deadline = Date.now() + 150_000;
    while (Date.now() < deadline) {
      const s = await stack.cli(['status', laneId, '--json']);
      status = s.json();
      if (status?.phase === 'blocked') break;
      await new Promise((r) => setTimeout(r, 1_000));
    }
    expect(status).toMatchObject({ phase: 'blocked', failureClass: 'tool_runtime' });
    const events = eventsFile(stack, laneId);
    const recoveries = events.filter((e) => e.type === 'lane.recovery.attempted');
    expect(recoveries).toHaveLength(1);
    // The recovery ran the pass again on the same session, which stalled again.
    const record = JSON.parse(readFileSync(join(laneDir(stack, laneId), 'agent', 'pass-0001.json'), 'utf8')) as { status: string; runs: number; sessionId: string };
    expect(record).toMatchObject({ status: 'running', runs: 2 });
    expect(readFileSync(join(laneDir(stack, laneId), 'agent', 'pass-0001.jsonl'), 'utf8')).toContain(record.sessionId);
    // Must NOT happen: a merge, or a commit of the stalled work.
    expect(await mergeCount(repo)).toBe(0);
    expect((await stack.cli(['cancel', laneId, '--json'])).exitCode).toBe(0);
  }, 240_000);
});
