// MCP in a lane, end to end (issue 5): packets submitted through the built CLI
// run on a `lanes worker` child process with real MCP servers — the third-party
// everything/filesystem servers from npm and the deliberately broken fixtures
// (run from dist/: `npm run build` first). Every lane must leave no MCP server
// process behind, whether it finished, failed or was cancelled.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MCP_PID_FILE, MCP_REPORT_FILE } from '../../src/activities/mcp.js';
import { readPidFile } from '../../src/mcp/pid-file.js';
import { type McpReport, McpReportSchema } from '../../src/mcp/report.js';
import type { ScriptedTurn } from '../../src/providers/scripted.js';
import { CALCULATOR_FIX, type FixtureRepo } from '../../src/demo/fixture-repo.js';
import { fixtureServerCommand, thirdPartyServerCommand } from '../../src/fixtures/mcp/fixture-servers.js';
import { type LaneEvent, LaneEventSchema } from '../../src/workflows/events.js';
import { stateQuery } from '../../src/workflows/lane/api.js';
import { type LaneStack, mockPacket, startLaneStack } from '../support/lane-stack.js';

const MARKER_VAR = 'LANES_TEST_MCP_MARKER';
const FIX_TURN: ScriptedTurn = { text: 'Adding multiply.', toolCalls: [{ name: 'write_file', input: { path: 'src/math.js', content: CALCULATOR_FIX } }] };

let stack: LaneStack;

beforeAll(async () => {
  stack = await startLaneStack();
});

afterAll(async () => {
  await stack?.stop();
});

const laneDir = (laneId: string) => join(stack.home, 'lanes', laneId);
const worktreeDir = (laneId: string) => join(stack.home, 'worktrees', laneId);

function readJson<T = any>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

/** Adds the marker variable to a stdio entry, so every process spawned from it can be found in /proc. */
function marked(entry: { command: string; args: string[] }, marker: string, extra: Record<string, unknown> = {}) {
  return { ...entry, env: { [MARKER_VAR]: marker }, ...extra };
}

/**
 * Collects, while a lane runs, the pid of every process carrying the lane's
 * marker (from /proc/<pid>/environ) and every pid in its mcp-pids.json.
 */
function watchMcpProcesses(laneId: string, marker: string) {
  const seen = new Set<number>();
  const needle = `${MARKER_VAR}=${marker}\0`;
  const scan = () => {
    for (const r of readPidFile(join(laneDir(laneId), MCP_PID_FILE))) seen.add(r.pid);
    for (const pid of markedPids(needle)) seen.add(pid);
  };
  const timer = setInterval(scan, 100);
  return {
    pids: () => [...seen],
    /** Stops watching; returns the marked processes still running right now. */
    stop: () => {
      clearInterval(timer);
      scan();
      return markedPids(needle).filter((pid) => processState(pid) !== 'Z');
    },
  };
}

function markedPids(needle: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      if (readFileSync(`/proc/${pid}/environ`, 'latin1').includes(needle)) out.push(pid);
    } catch {
      // exited meanwhile, or not ours
    }
  }
  return out;
}

function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

/** kill(pid, 0) throws ESRCH for every pid — or the process is a zombie (exited, not yet reaped), as isAlive counts it. */
function expectAllGone(pids: number[]): void {
  for (const pid of pids) {
    let code: string | undefined;
    try {
      process.kill(pid, 0);
      code = processState(pid) === 'Z' ? 'zombie' : 'alive';
    } catch (err) {
      code = (err as NodeJS.ErrnoException).code;
    }
    expect(['ESRCH', 'zombie'], `MCP server pid ${pid} must be gone (${code})`).toContain(code);
  }
}

async function submitAndWait(file: string): Promise<{ exitCode: number; report: any }> {
  const r = await stack.cli(['submit', file, '--wait', '--json'], { timeoutMs: 240_000 });
  return { exitCode: r.exitCode, report: r.json() };
}

async function cliEvents(laneId: string): Promise<LaneEvent[]> {
  const r = await stack.cli(['events', laneId, '--json']);
  expect(r.exitCode, r.stderr).toBe(0);
  const events = (r.json() as unknown[]).map((e) => LaneEventSchema.parse(e));
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  return events;
}

async function waitForLaneState(laneId: string, ok: (state: string) => boolean, timeoutMs = 90_000) {
  const handle = stack.client.workflow.getHandle(`lane-${laneId}`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const st = await handle.query(stateQuery);
      if (ok(st.state)) return st;
    } catch {
      // not started yet
    }
    if (Date.now() > deadline) throw new Error(`lane ${laneId} did not reach the expected state within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function waitForReportFile(laneId: string, timeoutMs = 90_000): Promise<any> {
  const file = join(laneDir(laneId), 'report.json');
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`no report.json for lane ${laneId} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return readJson(file);
}

/** The lane's saved tool results (tools/<turn>-<id>.json), by tool name in call order. */
function toolResults(laneId: string): { name: string; ok: boolean; output: string; file: string }[] {
  const dir = join(laneDir(laneId), 'tools');
  return readdirSync(dir)
    .filter((f) => /^\d+-.*\.json$/.test(f))
    .sort((a, b) => Number(a.split('-')[0]) - Number(b.split('-')[0]) || a.localeCompare(b))
    .map((f) => ({ ...readJson(join(dir, f)), file: f }));
}

/** The MCP call records (tools/mcp-<callId>.json) written by callMcpTool. */
function mcpCallRecords(laneId: string): { qualifiedName: string; result: { ok: boolean; output: string; class?: string; restarted: boolean } }[] {
  const dir = join(laneDir(laneId), 'tools');
  return readdirSync(dir)
    .filter((f) => f.startsWith('mcp-'))
    .sort()
    .map((f) => readJson(join(dir, f)));
}

/** Names of the tools the model was offered in the requests of a scenario. */
function offeredTools(scenario: string): Set<string> {
  const names = new Set<string>();
  for (const r of stack.mock.requests.filter((x) => x.scenario === scenario)) {
    for (const t of ((r.body as { tools?: { name: string }[] }).tools ?? [])) names.add(t.name);
  }
  return names;
}

async function expectMerged(repo: FixtureRepo, report: any, baseHead: string) {
  expect(report.state).toBe('finished');
  expect(report.landed).toBe(true);
  expect(report.greenLevel).toBe('merge_ready');
  expect(report.failureClass).toBeNull();
  expect(await repo.git('show', 'main:src/math.js')).toContain('export function multiply(a, b)');
  expect(await repo.head()).not.toBe(baseHead);
}

/** The event carries the report without tool descriptions; mcp-report.json has them all. */
function expectSameReport(file: unknown, fromEvent: McpReport): void {
  const full = McpReportSchema.parse(file);
  expect(full.failed).toEqual(fromEvent.failed);
  expect(full.degraded).toBe(fromEvent.degraded);
  expect(full.healthy.map((h) => [h.name, h.tools.map((t) => t.name), h.serverInfo])).toEqual(fromEvent.healthy.map((h) => [h.name, h.tools.map((t) => t.name), h.serverInfo]));
}

describe('lane with MCP servers', () => {
  it('offers the third-party everything and filesystem servers to the agent, saves their correct results, and merges', async () => {
    const id = 'mcp-third-party';
    const repo = await stack.fixture(id);
    const baseHead = await repo.head();
    const wt = worktreeDir(id);
    stack.mock.script(id, [
      {
        text: 'Trying the MCP tools.',
        toolCalls: [
          { name: 'mcp__everything__echo', input: { message: 'hello from a lane' } },
          { name: 'mcp__everything__get-sum', input: { a: 19, b: 23 } },
          { name: 'mcp__filesystem__read_text_file', input: { path: join(wt, 'README.md') } },
          { name: 'mcp__filesystem__read_text_file', input: { path: '/etc/passwd' } },
        ],
      },
      FIX_TURN,
      { text: 'Checking the fix through MCP.', toolCalls: [{ name: 'mcp__filesystem__read_text_file', input: { path: join(wt, 'src/math.js') } }] },
      { text: 'multiply added; done.' },
    ]);
    const file = stack.writePacket(
      id,
      mockPacket(id, repo.path, id, {
        mcp: {
          servers: {
            everything: marked(thirdPartyServerCommand('everything', ['stdio']), id),
            // "." resolves against the server's working directory: the lane worktree.
            filesystem: marked(thirdPartyServerCommand('filesystem', ['.']), id),
          },
        },
      }),
    );
    const watch = watchMcpProcesses(id, id);
    const { exitCode, report } = await submitAndWait(file);
    const running = watch.stop();

    expect(exitCode).toBe(0);
    await expectMerged(repo, report, baseHead);

    const events = await cliEvents(id);
    const ready = events.filter((e) => e.type === 'lane.mcp.ready');
    expect(ready).toHaveLength(1);
    const mcpReport = McpReportSchema.parse(ready[0]!.data.report);
    expect(mcpReport.healthy.map((h) => h.name)).toEqual(['everything', 'filesystem']);
    expect(mcpReport.failed).toEqual([]);
    expect(mcpReport.degraded).toBe(false);
    expectSameReport(readJson(join(laneDir(id), MCP_REPORT_FILE)), mcpReport);
    // The model saw the MCP tools under their qualified names.
    const offered = offeredTools(id);
    for (const name of ['mcp__everything__echo', 'mcp__everything__get-sum', 'mcp__filesystem__read_text_file']) expect(offered).toContain(name);

    const results = toolResults(id);
    const byName = (name: string) => results.filter((r) => r.name === name);
    expect(byName('mcp__everything__echo').map((r) => [r.ok, r.output])).toEqual([[true, 'Echo: hello from a lane']]);
    expect(byName('mcp__everything__get-sum').map((r) => [r.ok, r.output])).toEqual([[true, 'The sum of 19 and 23 is 42.']]);
    const reads = byName('mcp__filesystem__read_text_file');
    expect(reads).toHaveLength(3);
    expect(reads[0]).toMatchObject({ ok: true, output: readFileSync(join(repo.path, 'README.md'), 'utf8') });
    // Must NOT happen: the filesystem server hands out a file outside the worktree it was given.
    expect(reads[1]!.ok).toBe(false);
    expect(reads[1]!.output).toMatch(/^\[tool_runtime\]/);
    expect(reads[1]!.output).not.toContain('root:');
    // The server reads the live worktree: it sees the agent's edit.
    expect(reads[2]).toMatchObject({ ok: true, output: CALCULATOR_FIX });
    // Every MCP call is recorded once with its full result, and nothing restarted.
    const records = mcpCallRecords(id);
    expect(records).toHaveLength(5);
    expect(records.every((r) => r.result.restarted === false)).toBe(true);

    // No MCP server process outlives the lane.
    expect(watch.pids().length).toBeGreaterThanOrEqual(2);
    expect(running).toEqual([]);
    expectAllGone(watch.pids());
    expect(existsSync(join(laneDir(id), MCP_PID_FILE))).toBe(false);
  });

  it('runs degraded beside a missing command, a hanging server, an invalid entry and a crashing server, classifies each, and merges', async () => {
    const id = 'mcp-degraded';
    const repo = await stack.fixture(id);
    const baseHead = await repo.head();
    const dir = laneDir(id);
    const scratch = join(stack.reposDir, `${id}-scratch`);
    const echoSpawns = `${scratch}-echo.spawns`;
    const echoCalls = `${scratch}-echo.calls`;
    const crashSpawns = `${scratch}-crash.spawns`;
    const crashMarker = `${scratch}-crash.marker`;
    const hangSpawns = `${scratch}-hang.spawns`;
    stack.mock.script(id, [
      {
        text: 'Using the MCP tools that work, and one that does not.',
        toolCalls: [
          { name: 'mcp__echo__echo', input: { message: 'still here' } },
          { name: 'mcp__crashy__echo', input: { message: 'first' } },
          { name: 'mcp__missing__anything', input: {} },
        ],
      },
      { text: 'Again after the crash.', toolCalls: [{ name: 'mcp__crashy__echo', input: { message: 'second' } }] },
      FIX_TURN,
      { text: 'Done.' },
    ]);
    const servers = {
      echo: marked(fixtureServerCommand('echo-server', ['--spawn-log', echoSpawns, '--call-log', echoCalls]), id),
      missing: { command: 'lanes-no-such-mcp-server', env: { [MARKER_VAR]: id } },
      hang: marked(fixtureServerCommand('hang-server', ['--spawn-log', hangSpawns]), id, { startupTimeoutMs: 1_000 }),
      broken: { command: process.execPath, args: 'not-a-list', env: { [MARKER_VAR]: id } },
      crashy: marked(fixtureServerCommand('crash-on-call-server', ['--marker', crashMarker, '--spawn-log', crashSpawns]), id),
    };
    const file = stack.writePacket(id, mockPacket(id, repo.path, id, { mcp: { servers } }));
    const watch = watchMcpProcesses(id, id);
    const { exitCode, report } = await submitAndWait(file);
    const running = watch.stop();

    expect(exitCode).toBe(0);
    await expectMerged(repo, report, baseHead);

    const events = await cliEvents(id);
    const degraded = events.filter((e) => e.type === 'lane.mcp.degraded');
    expect(degraded).toHaveLength(1);
    const mcpReport: McpReport = McpReportSchema.parse(degraded[0]!.data.report);
    expect(mcpReport.degraded).toBe(true);
    expect(mcpReport.healthy.map((h) => h.name)).toEqual(['crashy', 'echo']);
    const failed = Object.fromEntries(mcpReport.failed.map((f) => [f.name, f]));
    expect(Object.keys(failed)).toEqual(['broken', 'hang', 'missing']);
    expect(failed.broken).toMatchObject({ failure_mode: 'config', class: 'mcp_config', recoverable: false, attempts: 0 });
    expect(failed.broken!.message).toContain('mcp.servers.broken.args');
    expect(failed.hang).toMatchObject({ failure_mode: 'handshake', class: 'mcp_handshake', recoverable: true, attempts: 2 });
    expect(failed.hang!.recommendation).toContain('mcp.servers.hang.startupTimeoutMs');
    expect(failed.missing).toMatchObject({ failure_mode: 'startup', class: 'mcp_startup', recoverable: true, attempts: 2 });
    expect(failed.missing!.message).toContain('lanes-no-such-mcp-server');
    expectSameReport(readJson(join(dir, MCP_REPORT_FILE)), mcpReport);
    expect(lines(hangSpawns)).toHaveLength(2); // started, restarted once, given up
    // Must NOT happen: an optional server's failure blocks the lane or makes it ask an operator.
    expect(events.map((e) => e.type)).not.toContain('lane.blocked');
    expect(events.map((e) => e.type)).not.toContain('lane.mcp.ready');

    // Only healthy servers' tools were offered.
    const offered = [...offeredTools(id)].filter((n) => n.startsWith('mcp__'));
    expect(offered).toEqual(expect.arrayContaining(['mcp__echo__echo', 'mcp__crashy__echo']));
    expect(offered.filter((n) => /^mcp__(missing|hang|broken)__/.test(n))).toEqual([]);

    const results = toolResults(id);
    expect(results.filter((r) => r.name === 'mcp__echo__echo').map((r) => [r.ok, r.output])).toEqual([[true, 'still here']]);
    // The crashing server died inside the first call, was restarted once, and the call was retried.
    expect(results.filter((r) => r.name === 'mcp__crashy__echo').map((r) => [r.ok, r.output])).toEqual([
      [true, 'survived: first'],
      [true, 'survived: second'],
    ]);
    const crashRecords = mcpCallRecords(id).filter((r) => r.qualifiedName === 'mcp__crashy__echo');
    expect(crashRecords.map((r) => r.result.restarted).sort()).toEqual([false, true]);
    expect(lines(crashSpawns)).toHaveLength(2);
    expect(existsSync(crashMarker)).toBe(true);
    // A call to a server that failed at start is a tool error quoting the failure, not a lane failure.
    const missing = results.find((r) => r.name === 'mcp__missing__anything');
    expect(missing).toMatchObject({ ok: false });
    expect(missing!.output).toMatch(/^\[tool_runtime\].*missing/s);
    // The echo tool ran exactly once (no replayed call).
    expect(lines(echoCalls)).toEqual(['echo']);
    expect(lines(echoSpawns)).toHaveLength(1);

    const spawned = [...lines(echoSpawns), ...lines(crashSpawns), ...lines(hangSpawns)].map(Number);
    expect(running).toEqual([]);
    expectAllGone([...new Set([...spawned, ...watch.pids()])]);
  });

  it('blocks when a required server fails to start, sends no prompt, and fails without merging after resolve --abort', async () => {
    const id = 'mcp-required';
    const repo = await stack.fixture(id);
    const baseHead = await repo.head();
    const echoSpawns = join(stack.reposDir, `${id}-echo.spawns`);
    stack.mock.script(id, [FIX_TURN, { text: 'Done.' }]);
    const servers = {
      echo: marked(fixtureServerCommand('echo-server', ['--spawn-log', echoSpawns]), id),
      gate: { command: 'lanes-no-such-required-server', required: true, env: { [MARKER_VAR]: id } },
    };
    const file = stack.writePacket(id, mockPacket(id, repo.path, id, { mcp: { servers } }));
    const watch = watchMcpProcesses(id, id);
    const submitted = await stack.cli(['submit', file, '--json']);
    expect(submitted.exitCode, submitted.stderr).toBe(0);

    const blocked = await waitForLaneState(id, (s) => s === 'blocked');
    expect(blocked.failureClass).toBe('mcp_startup');
    const status = await stack.cli(['status', id, '--json']);
    expect(status.json()).toMatchObject({ blocker: { class: 'mcp_startup' } });
    const before = await cliEvents(id);
    const degraded = before.find((e) => e.type === 'lane.mcp.degraded');
    expect(McpReportSchema.parse(degraded!.data.report).failed).toMatchObject([{ name: 'gate', failure_mode: 'startup', class: 'mcp_startup', attempts: 2 }]);
    expect(before.find((e) => e.type === 'lane.blocked')).toMatchObject({ failureClass: 'mcp_startup' });
    expect(before.find((e) => e.type === 'lane.blocked')!.detail).toContain('gate');
    // Must NOT happen: a prompt reaches the model while a required server is down.
    expect(stack.mock.requestCount(id)).toBe(0);
    expect(before.map((e) => e.type)).not.toContain('lane.prompt_accepted');

    const abort = await stack.cli(['resolve', id, '--abort', '--json']);
    expect(abort.exitCode, abort.stdout + abort.stderr).toBe(0);
    const report = await waitForReportFile(id);
    const running = watch.stop();

    expect(report).toMatchObject({ state: 'failed', failureClass: 'mcp_startup', landed: false, mergeCommit: null });
    const after = await cliEvents(id);
    expect(after.at(-1)).toMatchObject({ type: 'lane.failed', failureClass: 'mcp_startup' });
    // Must NOT happen: a merge, a commit on main, or a model call.
    expect(after.map((e) => e.type)).not.toContain('lane.merged');
    expect(await repo.head()).toBe(baseHead);
    expect(stack.mock.requestCount(id)).toBe(0);

    expect(lines(echoSpawns)).toHaveLength(1);
    expect(running).toEqual([]);
    expectAllGone([...new Set([...lines(echoSpawns).map(Number), ...watch.pids()])]);
  });

  it('restarts the MCP servers on resolve --retry after a required one was fixed, and goes on to merge', async () => {
    const id = 'mcp-retry';
    const repo = await stack.fixture(id);
    stack.mock.script(id, [{ text: 'Using the gate server.', toolCalls: [{ name: 'mcp__gate__echo', input: { message: 'after fix' } }] }, FIX_TURN, { text: 'Done.' }]);
    // The required server's script does not exist yet: it fails at startup until an operator adds it.
    const script = join(stack.reposDir, `${id}-gate.mjs`);
    const echo = fixtureServerCommand('echo-server');
    const servers = { gate: { command: process.execPath, args: [script], required: true, env: { [MARKER_VAR]: id } } };
    const watch = watchMcpProcesses(id, id);
    expect((await stack.cli(['submit', stack.writePacket(id, mockPacket(id, repo.path, id, { mcp: { servers } }))])).exitCode).toBe(0);
    const blocked = await waitForLaneState(id, (st) => st === 'blocked');
    expect(blocked.failureClass).toBe('mcp_startup');
    writeFileSync(script, `await import(${JSON.stringify(echo.args.at(-1))});\n`);
    const retry = await stack.cli(['resolve', id, '--retry', '--json']);
    expect(retry.exitCode, retry.stdout + retry.stderr).toBe(0);
    const report = await waitForReportFile(id);
    expect(report).toMatchObject({ state: 'finished', landed: true });
    const events = await cliEvents(id);
    const types = events.map((e) => e.type);
    expect(types.indexOf('lane.mcp.ready')).toBeGreaterThan(types.indexOf('lane.resolved'));
    expect(types).toContain('lane.recovery.attempted');
    // The agent really reached the server that was fixed.
    const call = readJson(join(laneDir(id), 'tools', readdirSync(join(laneDir(id), 'tools')).find((f) => f.startsWith('1-'))!));
    expect(call).toMatchObject({ name: 'mcp__gate__echo', ok: true });
    // Must NOT happen: the fixed server still treated as failed, or left running after the lane.
    expect(watch.stop()).toEqual([]);
  });

  it('stops every MCP server of a lane cancelled with lanes cancel while a required server blocks it', async () => {
    const id = 'mcp-cancelled';
    const repo = await stack.fixture(id);
    const baseHead = await repo.head();
    const echoSpawns = join(stack.reposDir, `${id}-echo.spawns`);
    const hangSpawns = join(stack.reposDir, `${id}-hang.spawns`);
    stack.mock.script(id, [FIX_TURN, { text: 'Done.' }]);
    const servers = {
      echo: marked(fixtureServerCommand('echo-server', ['--spawn-log', echoSpawns]), id),
      slow: marked(fixtureServerCommand('hang-server', ['--spawn-log', hangSpawns]), id, { startupTimeoutMs: 800, required: true }),
    };
    const file = stack.writePacket(id, mockPacket(id, repo.path, id, { mcp: { servers } }));
    const watch = watchMcpProcesses(id, id);
    expect((await stack.cli(['submit', file, '--json'])).exitCode).toBe(0);

    const blocked = await waitForLaneState(id, (s) => s === 'blocked');
    expect(blocked.failureClass).toBe('mcp_handshake');
    // The healthy server is running while the lane waits.
    expect(watch.pids()).toEqual(expect.arrayContaining(lines(echoSpawns).map(Number)));

    const cancel = await stack.cli(['cancel', id, '--json']);
    expect(cancel.exitCode, cancel.stdout + cancel.stderr).toBe(0);
    const report = await waitForReportFile(id);
    const running = watch.stop();

    expect(report).toMatchObject({ state: 'failed', failureClass: 'cancelled', landed: false });
    const events = await cliEvents(id);
    expect(events.map((e) => e.type)).toContain('lane.cancelled');
    expect(events.map((e) => e.type)).not.toContain('lane.merged');
    expect(await repo.head()).toBe(baseHead);
    expect(stack.mock.requestCount(id)).toBe(0);

    expect(lines(hangSpawns)).toHaveLength(2);
    expect(running).toEqual([]);
    expectAllGone([...new Set([...lines(echoSpawns), ...lines(hangSpawns)].map(Number).concat(watch.pids()))]);
  });
});

describe('lanes mcp check', () => {
  it('prints a report that matches McpReportSchema, exits 1 only when a required server failed, and stops every server', async () => {
    const spawns = join(stack.reposDir, 'check-echo.spawns');
    const echo = fixtureServerCommand('echo-server', ['--spawn-log', spawns]);

    // A config file (JSON) with an optional broken server: degraded, exit 0.
    const config = join(stack.reposDir, 'mcp-servers.json');
    writeFileSync(config, JSON.stringify({ servers: { echo, optional: { command: 'lanes-no-such-optional-server' } } }));
    const ok = await stack.cli(['mcp', 'check', config, '--json']);
    expect(ok.exitCode, ok.stderr).toBe(0);
    const okReport = McpReportSchema.parse(ok.json());
    expect(okReport.healthy.map((h) => h.name)).toEqual(['echo']);
    expect(okReport.healthy[0]!.tools.map((t) => t.name)).toEqual(expect.arrayContaining(['echo', 'add']));
    expect(okReport.failed).toMatchObject([{ name: 'optional', failure_mode: 'startup', class: 'mcp_startup', recoverable: true }]);
    expect(okReport.degraded).toBe(true);

    // A YAML task packet whose required server fails and with an invalid entry: the whole
    // report still comes out, exit 2 (an invalid entry is the caller's to fix, issue 10).
    const repo = await stack.fixture('mcp-check');
    const packet = join(stack.reposDir, 'mcp-check-packet.yaml');
    writeFileSync(
      packet,
      [
        'id: mcp-check',
        'objective: check the MCP servers',
        `repo: { path: ${JSON.stringify(repo.path)}, baseBranch: main }`,
        'acceptance: { targeted: ["node --test test/"] }',
        'agent: { provider: anthropic, model: claude-sonnet-4-5 }',
        'mcp:',
        '  servers:',
        `    echo: ${JSON.stringify(echo)}`,
        '    gate: { command: lanes-no-such-required-server, required: true }',
        '    wrong: { command: x, url: "http://localhost:1/mcp" }',
      ].join('\n'),
    );
    const bad = await stack.cli(['mcp', 'check', packet, '--json']);
    expect(bad.exitCode, bad.stderr).toBe(2);
    const badReport = McpReportSchema.parse(bad.json());
    expect(badReport.healthy.map((h) => h.name)).toEqual(['echo']);
    expect(badReport.failed.map((f) => [f.name, f.failure_mode, f.class])).toEqual([
      ['gate', 'startup', 'mcp_startup'],
      ['wrong', 'config', 'mcp_config'],
    ]);
    const text = await stack.cli(['mcp', 'check', packet]);
    expect(text.exitCode).toBe(2);
    expect(text.stdout).toContain('FAILED  gate: startup');
    expect(text.stdout).toContain('required server(s) failed: gate');

    // A file that is neither a valid packet nor a config file: exit 2, nothing started.
    const invalid = join(stack.reposDir, 'not-a-packet.json');
    writeFileSync(invalid, JSON.stringify({ servers: { echo }, extra: true }));
    const refused = await stack.cli(['mcp', 'check', invalid, '--json']);
    expect(refused.exitCode).toBe(2);
    expect(refused.json()).toMatchObject({ error: { code: 'validation' } });
    expect((await stack.cli(['mcp', 'check', join(stack.reposDir, 'missing.yaml')])).exitCode).toBe(2);

    // Three checks started the echo server three times; none of them is left running.
    const pids = lines(spawns).map(Number);
    expect(pids).toHaveLength(3);
    expectAllGone(pids);
  });
});
