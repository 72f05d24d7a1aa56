// The external-agent pass with the REAL `claude` and `codex` binaries (pinned dev
// dependencies) and the testkit command agent, against the mock model server over
// HTTP, in real fixture repositories. No provider credentials are needed.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgentPassActivities, passFile } from '../../../src/activities/agent-pass.js';
import { createArtifactStore } from '../../../src/activities/artifacts.js';
import { TaskPacketSchema, type TaskPacketInput } from '../../../src/packet/schema.js';
import { AGENT_FIX_SCRIPTS } from '../../../src/fixtures/agent-scripts.js';
import { CALCULATOR_FIX, createFixtureRepo } from '../../../src/demo/fixture-repo.js';
import { type MockModelServer, startMockModelServer } from '../../../src/fixtures/mock-model-server.js';
import { classifyFailure, failureDetails } from '../../../src/failures.js';
import { MOCK_STALL_TURN } from '../../../src/fixtures/mock-model-scenarios.js';
import { fixtureServerCommand } from '../../../src/fixtures/mcp/fixture-servers.js';
import { codexConfig } from '../../../src/agents/invocation.js';

// Long enough for a CLI to start on a loaded 2-core machine, short enough for a test.
const STALL_MS = 8_000;
const root = mkdtempSync(join(tmpdir(), 'lanes-agent-pass-'));
const commandAgent = join(process.cwd(), 'dist', 'testkit', 'command-agent.js');
let mock: MockModelServer;
let env: NodeJS.ProcessEnv;
let n = 0;

function agentOf(agent: Record<string, unknown>) {
  const packet: TaskPacketInput = { objective: 'x', repo: { path: '/r' }, acceptance: { requiredLevel: 'none' }, agent: agent as TaskPacketInput['agent'] };
  return TaskPacketSchema.parse(packet).agent;
}

async function setup(agent: Record<string, unknown>, scenario: string) {
  n += 1;
  const repo = await createFixtureRepo(join(root, `repo-${n}`));
  const store = createArtifactStore({ home: join(root, 'home') });
  const acts = createAgentPassActivities({ store, env, heartbeatMs: 200 });
  const laneId = `lane-${n}`;
  const input = {
    laneId,
    pass: 1,
    worktreePath: repo.path,
    agent: agentOf(agent),
    objective: `The test "multiply multiplies" fails: add multiply(a, b) to src/math.js. [[mock:${scenario}]]`,
    scopePaths: ['src/math.js'],
  };
  return { repo, store, acts, laneId, input };
}

/** Host pids of processes whose command line carries `tag`. */
function processesTagged(tag: string): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(tag);
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function failureOf(p: Promise<unknown>) {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'the pass should have failed').toBeDefined();
  return { cls: classifyFailure(err), details: failureDetails(err), message: (err as Error).message };
}

beforeAll(async () => {
  mock = await startMockModelServer({ scripts: AGENT_FIX_SCRIPTS });
  env = {
    PATH: process.env.PATH,
    HOME: mkdtempSync(join(root, 'home-')),
    ANTHROPIC_BASE_URL: mock.anthropicBaseURL,
    ANTHROPIC_API_KEY: 'test-anthropic-key',
    OPENAI_BASE_URL: mock.openaiBaseURL,
    OPENAI_API_KEY: 'test-openai-key',
    TEMPORAL_ADDRESS: '127.0.0.1:7233',
    LANES_HOME: join(root, 'home'),
  };
});
afterAll(async () => {
  await mock.close();
});

describe('activities/agent-pass', () => {
  it('claude_code: the real claude binary reads, edits, runs the tests and finishes; a retry never runs it again', async () => {
    const { repo, store, acts, laneId, input } = await setup({ kind: 'claude_code', model: 'claude-sonnet-4-5' }, 'claude-fix');
    const summary = await acts.agentPass(input);
    expect(readFileSync(join(repo.path, 'src/math.js'), 'utf8')).toBe(CALCULATOR_FIX);
    await execa('node', ['--test', 'test/'], { cwd: repo.path });
    expect(summary.turns.map((t) => t.toolUses.map((u) => u.name))).toEqual([['Read'], ['Edit'], ['Bash'], []]);
    expect(summary.turns[2]!.toolUses[0]!.summary).toBe('node --test test/');
    expect(summary.usage.inputTokens).toBeGreaterThan(0);
    expect(summary.costUsd).toBeGreaterThan(0);
    expect(summary.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(summary.subtype).toBe('success');
    const requests = mock.requestCount('claude-fix');
    // Must NOT happen: a second call runs the agent again.
    const again = await acts.agentPass(input);
    expect(again.replayed).toBe(true);
    expect(again.turns).toEqual(summary.turns);
    expect(mock.requestCount('claude-fix')).toBe(requests);
    expect(store.readJson<{ status: string }>(laneId, passFile(1))?.status).toBe('completed');
    // The agent got the prompt and its own provider's key only.
    const first = mock.requests.find((r) => r.scenario === 'claude-fix')!;
    expect(JSON.stringify(first.body)).toContain('multiply multiplies');
  });

  it('codex: the real codex binary fixes the fixture through its shell tool, speaking the Responses API', async () => {
    const { repo, acts, input } = await setup({ kind: 'codex', model: 'gpt-5.1-codex' }, 'codex-fix');
    const summary = await acts.agentPass(input);
    expect(readFileSync(join(repo.path, 'src/math.js'), 'utf8')).toBe(CALCULATOR_FIX);
    expect(summary.turns.flatMap((t) => t.toolUses.map((u) => u.name))).toEqual(['shell', 'shell', 'shell']);
    expect(summary.turns.flatMap((t) => t.toolUses.map((u) => u.summary)).join('\n')).toContain('node --test test/');
    expect(summary.usage.inputTokens).toBeGreaterThan(0);
    expect(summary.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(mock.requests.filter((r) => r.scenario === 'codex-fix').every((r) => r.path === '/v1/responses')).toBe(true);
  });

  it('command: a small agent speaking stream-json fixes the fixture and sees only its own provider credentials', async () => {
    // Relative: the agent runs in the worktree, the only place it may write.
    const { repo, acts, input } = await setup(
      { kind: 'command', provider: 'anthropic', model: 'claude-sonnet-4-5', command: { argv: [process.execPath, commandAgent, '--env-report', 'env-report.json'], envAllowlist: ['OPENAI_API_KEY', 'TEMPORAL_ADDRESS', 'LANES_HOME'] } },
      'command-fix',
    );
    const summary = await acts.agentPass(input);
    expect(readFileSync(join(repo.path, 'src/math.js'), 'utf8')).toBe(CALCULATOR_FIX);
    expect(summary.turns).toHaveLength(4);
    const names = JSON.parse(readFileSync(join(repo.path, 'env-report.json'), 'utf8')) as string[];
    // Must NOT happen: Temporal's or Lanes' own variables reach the agent, even when allowlisted.
    expect(names).not.toContain('TEMPORAL_ADDRESS');
    expect(names).not.toContain('LANES_HOME');
    expect(names).toContain('ANTHROPIC_API_KEY');
    expect(names).toContain('LANES_AGENT_SESSION_ID');
    // Must NOT happen: another provider's key reaches the agent, even when allowlisted.
    expect(names).not.toContain('OPENAI_API_KEY');
    expect(names).not.toContain('OPENAI_BASE_URL');
  });

  it('command: the agent process runs in the lane sandbox: writes outside the worktree, other lanes, the Temporal port and its variables are out of reach; its fix still lands', async () => {
    const sentinel = join(root, 'escape-sentinel.txt');
    writeFileSync(sentinel, 'untouched\n');
    const home = join(root, 'home');
    const other = join(home, 'worktrees', 'other-lane');
    mkdirSync(other, { recursive: true });
    writeFileSync(join(other, 'secret.txt'), 'other lane secret\n');
    // A listener on the worker's loopback that is not the model endpoint (think: the Temporal frontend).
    const frontend = createServer((c) => c.end('reached\n'));
    await new Promise<void>((r) => frontend.listen(0, '127.0.0.1', () => r()));
    const port = (frontend.address() as AddressInfo).port;
    let reached = 0;
    frontend.on('connection', () => (reached += 1));
    const probe = `node -e "require('net').connect(${port},'127.0.0.1').on('connect',()=>console.log('CONNECTED')).on('error',e=>console.log('BLOCKED',e.code))"; echo "TEMPORAL=$TEMPORAL_ADDRESS LANES_HOME=$LANES_HOME"`;
    mock.script('command-escape', [
      {
        text: 'Trying to get out.',
        toolCalls: [
          { name: 'write_file', input: { path: sentinel, content: 'escaped\n' } },
          { name: 'read_file', input: { path: join(other, 'secret.txt') } },
          { name: 'bash', input: { command: probe } },
        ],
      },
      ...AGENT_FIX_SCRIPTS['command-fix']!.slice(1),
    ]);
    try {
      const { repo, acts, input, store, laneId } = await setup({ kind: 'command', provider: 'anthropic', model: 'claude-sonnet-4-5', command: { argv: [process.execPath, commandAgent] } }, 'command-escape');
      const summary = await acts.agentPass(input);
      // The legitimate change is made.
      expect(readFileSync(join(repo.path, 'src/math.js'), 'utf8')).toBe(CALCULATOR_FIX);
      expect(summary.turns[0]!.toolUses.map((u) => u.name)).toEqual(['write_file', 'read_file', 'bash']);
      const results = (store.readText(laneId, 'agent/pass-0001.jsonl') ?? '')
        .split('\n')
        .filter((l) => l.includes('"tool_result"'))[0]!;
      const [write, read, bash] = (JSON.parse(results) as { message: { content: { content: string; is_error: boolean }[] } }).message.content;
      expect(write).toMatchObject({ is_error: true, content: expect.stringMatching(/read-only file system|EROFS/i) });
      expect(read).toMatchObject({ is_error: true, content: expect.stringMatching(/ENOENT|no such file/i) });
      expect(bash!.content).toContain('BLOCKED ECONNREFUSED');
      expect(bash!.content).toContain('TEMPORAL= LANES_HOME=');
      // Must NOT happen: the sentinel outside changes, the other lane's file is read, the listener is reached.
      expect(readFileSync(sentinel, 'utf8')).toBe('untouched\n');
      expect(JSON.stringify(summary)).not.toContain('other lane secret');
      expect(bash!.content).not.toContain('CONNECTED');
      expect(reached).toBe(0);
    } finally {
      frontend.close();
    }
  });

  it('a stalled claude (the provider never answers) is killed after stallTimeoutMs and fails as tool_runtime', async () => {
    const { acts, input, laneId, store } = await setup({ kind: 'claude_code', model: 'claude-sonnet-4-5', stallTimeoutMs: STALL_MS }, 'timeout');
    const started = Date.now();
    const f = await failureOf(acts.agentPass(input));
    expect(f.cls).toBe('tool_runtime');
    expect(f.details.agentFailure).toBe('stalled');
    expect(Date.now() - started).toBeLessThan(60_000);
    // The session id was on disk before the first turn, for the retry to resume.
    const record = store.readJson<{ sessionId: string; status: string }>(laneId, passFile(1))!;
    expect(record.status).toBe('running');
    expect(record.sessionId).toBe(f.details.sessionId);
  });

  it('a pass killed mid-task resumes the same claude session on retry instead of starting over', async () => {
    const { repo, acts, input, store, laneId } = await setup({ kind: 'claude_code', model: 'claude-sonnet-4-5', stallTimeoutMs: STALL_MS }, 'stallonce.claude-fix');
    const f = await failureOf(acts.agentPass(input));
    expect(f.details.agentFailure).toBe('stalled');
    const sessionId = store.readJson<{ sessionId: string }>(laneId, passFile(1))!.sessionId;
    const before = mock.requests.filter((r) => r.scenario === 'stallonce.claude-fix').length;
    const summary = await acts.agentPass(input);
    expect(summary.sessionId).toBe(sessionId);
    expect(summary.resumed).toBe(true);
    expect(summary.runs).toBe(2);
    // The turns before the kill are kept: Read and Edit from run 1, then the resumed run's.
    expect(summary.turns.slice(0, 2).map((t) => t.toolUses.map((u) => u.name))).toEqual([['Read'], ['Edit']]);
    expect(summary.turns.map((t) => t.index)).toEqual(summary.turns.map((_, i) => i + 1));
    expect(readFileSync(join(repo.path, 'src/math.js'), 'utf8')).toBe(CALCULATOR_FIX);
    // Must NOT happen: the resumed run starts over at turn 0 (it continues at the stalled turn).
    const resumedTurns = mock.requests.filter((r) => r.scenario === 'stallonce.claude-fix').slice(before).map((r) => r.turn);
    expect(Math.min(...resumedTurns)).toBeGreaterThanOrEqual(MOCK_STALL_TURN);
  });

  it('codex: a pass killed mid-task resumes its thread with `codex exec resume`', async () => {
    const { repo, acts, input, store, laneId } = await setup({ kind: 'codex', model: 'gpt-5.1-codex', stallTimeoutMs: STALL_MS }, 'stallonce.codex-fix');
    const f = await failureOf(acts.agentPass(input));
    expect(f.details.agentFailure).toBe('stalled');
    const sessionId = store.readJson<{ sessionId: string }>(laneId, passFile(1))!.sessionId;
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);
    const before = mock.requests.filter((r) => r.scenario === 'stallonce.codex-fix').length;
    const summary = await acts.agentPass(input);
    expect(summary.sessionId).toBe(sessionId);
    expect(summary.resumed).toBe(true);
    expect(readFileSync(join(repo.path, 'src/math.js'), 'utf8')).toBe(CALCULATOR_FIX);
    const resumedTurns = mock.requests.filter((r) => r.scenario === 'stallonce.codex-fix').slice(before).map((r) => r.turn);
    expect(resumedTurns).not.toContain(0);
  });

  it('claude: rejected credentials fail the pass as provider_auth at once, not after minutes of retries', async () => {
    const { acts, input } = await setup({ kind: 'claude_code', model: 'claude-sonnet-4-5' }, 'auth');
    const started = Date.now();
    const f = await failureOf(acts.agentPass(input));
    expect(f.cls).toBe('provider_auth');
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('codex: rejected credentials fail the pass as provider_auth', async () => {
    const { acts, input } = await setup({ kind: 'codex', model: 'gpt-5.1-codex' }, 'auth');
    const f = await failureOf(acts.agentPass(input));
    expect(f.cls).toBe('provider_auth');
  });

  it('claude: a rate limit once is retried by the agent itself and the pass completes', async () => {
    const { repo, acts, input } = await setup({ kind: 'claude_code', model: 'claude-sonnet-4-5' }, 'ratelimited.claude-fix');
    const summary = await acts.agentPass(input);
    expect(readFileSync(join(repo.path, 'src/math.js'), 'utf8')).toBe(CALCULATOR_FIX);
    expect(summary.subtype).toBe('success');
    expect(mock.requests.filter((r) => r.scenario === 'ratelimited.claude-fix').map((r) => r.status)).toContain(429);
  });

  it("claude_code: the packet's MCP servers are handed to claude in its own config format, and it calls their tools", async () => {
    mock.script('claude-mcp', [{ toolCalls: [{ name: 'mcp__echo__echo', input: { message: 'handed-over' } }] }, { text: 'The echo server answered.' }]);
    const { acts, input, store, laneId } = await setup({ kind: 'claude_code', model: 'claude-sonnet-4-5' }, 'claude-mcp');
    const echo = fixtureServerCommand('echo-server');
    const summary = await acts.agentPass({ ...input, mcpServers: { echo: { command: echo.command, args: echo.args }, broken: { url: 'not a url' } } });
    expect(summary.turns[0]!.toolUses[0]!.name).toBe('mcp__echo__echo');
    const second = mock.requests.filter((r) => r.scenario === 'claude-mcp')[1]!.body as { messages: { content: { type: string; is_error?: boolean; content: { text: string }[] }[] }[] };
    const result = second.messages.at(-1)!.content.find((b) => b.type === 'tool_result')!;
    // The echo server really answered (a refused call would carry an error text instead).
    expect(result.content[0]!.text.trim()).toBe('handed-over');
    expect(result.is_error).not.toBe(true);
    // Must NOT happen: an invalid entry reaching the agent's config.
    const handed = readFileSync(store.pathOf(laneId, 'agent/state/claude-mcp.json'), 'utf8');
    expect(Object.keys(JSON.parse(handed).mcpServers)).toEqual(['echo']);
  });

  it('codex: MCP servers become [mcp_servers.<name>] tables and a custom base URL a Responses provider in config.toml', () => {
    const toml = codexConfig(agentOf({ kind: 'codex', model: 'gpt-5.1-codex', permissionMode: 'read_only' }), {
      echo: { command: 'node', args: ['echo.js'], env: { TOKEN: 'x' }, required: false, startupTimeoutMs: 10_000, callTimeoutMs: 60_000 },
    }, { OPENAI_BASE_URL: 'http://127.0.0.1:1/v1' });
    // The lane sandbox around codex enforces read_only; codex's own sandbox cannot nest in it.
    expect(toml).toContain('sandbox_mode = "danger-full-access"');
    expect(toml).toContain('# permissionMode read_only');
    expect(toml).toContain('[mcp_servers."echo"]\ncommand = "node"\nargs = ["echo.js"]\nenv = { "TOKEN" = "x" }');
    expect(toml).toContain('base_url = "http://127.0.0.1:1/v1"\nwire_api = "responses"');
    // Must NOT happen: a key's value written into the config (only the variable's name).
    expect(toml).not.toMatch(/sk-|OPENAI_API_KEY = /);
  });

  it.each([
    ['a non-JSON line on stdout', ['--garbage'], 'protocol'],
    ['exit 0 without a final result line', ['--no-result'], 'no_result'],
  ])('command: %s is classified tool_runtime, never trusted', async (_label, flags, kind) => {
    const { acts, input, store, laneId } = await setup({ kind: 'command', provider: 'anthropic', model: 'claude-sonnet-4-5', command: { argv: [process.execPath, commandAgent, ...flags] } }, 'command-fix');
    const f = await failureOf(acts.agentPass(input));
    expect(f.cls).toBe('tool_runtime');
    expect(f.details.agentFailure).toBe(kind);
    expect(store.readJson<{ status: string }>(laneId, passFile(1))?.status).toBe('running');
  });

  it('command: a hung agent has its whole process group killed', async () => {
    const tag = `lanes-hang-${process.pid}-a`;
    const { acts, input } = await setup({ kind: 'command', provider: 'scripted', model: 'm', stallTimeoutMs: 1_000, command: { argv: ['/bin/sh', '-c', `${process.execPath} ${commandAgent} --hang ${tag} & wait`] } }, 'command-fix');
    const f = await failureOf(acts.agentPass(input));
    expect(f.details.agentFailure).toBe('stalled');
    // Must NOT happen: the agent's own child outlives the pass (its pid is the sandbox's own, so look it up by its tag).
    await new Promise((r) => setTimeout(r, 500));
    expect(processesTagged(tag)).toEqual([]);
  });

  it('cancelling the activity kills the agent process group and records no completion', async () => {
    const tag = `lanes-hang-${process.pid}-b`;
    const { acts, input, store, laneId } = await setup({ kind: 'command', provider: 'scripted', model: 'm', command: { argv: ['/bin/sh', '-c', `${process.execPath} ${commandAgent} --hang ${tag} & wait`] } }, 'command-fix');
    const env = new MockActivityEnvironment();
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => {
      beats.push(d);
      if (beats.length === 3) env.cancel('CANCELLED');
    });
    const err = await env.run(acts.agentPass, input).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CancelledFailure);
    expect(beats[0]).toMatchObject({ pass: 1, turns: 0 });
    await new Promise((r) => setTimeout(r, 500));
    // Must NOT happen: the agent outliving the cancel, or the pass recorded as completed.
    expect(beats.length).toBeGreaterThanOrEqual(3);
    expect(processesTagged(tag)).toEqual([]);
    expect(store.readJson<{ status: string }>(laneId, passFile(1))?.status).toBe('running');
  });
});
