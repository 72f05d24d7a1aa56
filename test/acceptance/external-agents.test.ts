// External coding agents as lane agents (issue 15): the REAL `claude` and `codex`
// binaries (pinned dev dependencies) and a small command agent each fix the fixture
// in a lane run by a `lanes worker` child process, against the mock model server
// over HTTP; the lane lands once with the agent's turns and usage recorded. Offline.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_FIX_SCRIPTS } from '../../src/fixtures/agent-scripts.js';
import type { FixtureRepo } from '../../src/demo/fixture-repo.js';
import { eventsFile, expectWellFormedEvents, laneDir, mergeCount } from '../support/lane-assertions.js';
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
