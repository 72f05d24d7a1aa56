// MCP lifecycle with real processes: third-party servers from npm, the fixture
// servers in src/fixtures/mcp (run from dist/, so build first), a real
// Streamable HTTP server. Every test checks that no spawned process survives.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMcpActivities, MCP_PID_FILE, MCP_REPORT_FILE } from '../../src/activities/mcp.js';
import { freePort } from '../../src/devserver/server.js';
import { checkMcpServers, requiredFailed } from '../../src/mcp/check.js';
import { McpRegistry } from '../../src/mcp/registry.js';
import { McpReportSchema } from '../../src/mcp/report.js';
import { McpSession } from '../../src/mcp/session.js';
import { fixtureServerCommand, thirdPartyServerCommand } from '../../src/fixtures/mcp/fixture-servers.js';

let dir: string;
const sessions: McpSession[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lanes-mcp-'));
});
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.stop()));
  rmSync(dir, { recursive: true, force: true });
});

function session(options: ConstructorParameters<typeof McpSession>[0] = {}): McpSession {
  const s = new McpSession({ logFile: join(dir, 'stderr.log'), ...options });
  sessions.push(s);
  return s;
}

/** A file the fixture appends its pid to on every start. */
function spawnLog(name: string): { args: string[]; pids: () => number[] } {
  const file = join(dir, `${name}.spawns`);
  return {
    args: ['--spawn-log', file],
    pids: () => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number) : []),
  };
}

function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

/**
 * For processes that were re-parented to PID 1 (grandchildren, orphans of a
 * killed worker): gone, or a zombie. This container's PID 1 does not reap, so
 * a killed orphan can stay a zombie; it has exited all the same.
 */
function expectExited(pids: number[]): void {
  for (const pid of pids) {
    let state: string | undefined;
    try {
      process.kill(pid, 0);
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    } catch {
      state = undefined;
    }
    expect(state === undefined || state === 'Z', `pid ${pid} should have exited (state ${state})`).toBe(true);
  }
}

/** Our own children: process.kill(pid, 0) must throw ESRCH for every pid. */
function expectAllDead(pids: number[]): void {
  for (const pid of pids) {
    let code: string | undefined;
    try {
      process.kill(pid, 0);
    } catch (err) {
      code = (err as NodeJS.ErrnoException).code;
    }
    expect(code, `pid ${pid} should be gone`).toBe('ESRCH');
  }
}

describe('mcp session', () => {
  it('starts the third-party everything server over stdio, discovers tools and resources, calls its tools, and passes only the configured environment', async () => {
    // The worker environment the server may draw on through ${NAME} references.
    const s = session({ env: { ...process.env, LANES_TEST_SECRET: 's3cret-value' } });
    const report = await s.start({ everything: { ...thirdPartyServerCommand('everything', ['stdio']), env: { API_TOKEN: '${LANES_TEST_SECRET}' } } });
    expect(report.failed).toEqual([]);
    expect(report.degraded).toBe(false);
    const [everything] = report.healthy;
    expect(everything?.serverInfo.name).toBe('mcp-servers/everything');
    expect(everything?.tools.map((t) => t.name)).toEqual(expect.arrayContaining(['echo', 'get-sum']));
    expect(everything?.resources.length).toBeGreaterThan(0);

    const echoTool = s.tools().find((t) => t.qualifiedName === 'mcp__everything__echo');
    expect(echoTool).toMatchObject({ server: 'everything', tool: 'echo', inputSchema: { type: 'object' } });

    expect(await s.callTool('mcp__everything__echo', { message: 'hello lanes' })).toEqual({ ok: true, output: 'Echo: hello lanes', restarted: false });
    expect(await s.callTool('mcp__everything__get-sum', { a: 19, b: 23 })).toEqual({ ok: true, output: 'The sum of 19 and 23 is 42.', restarted: false });

    const env = JSON.parse((await s.callTool('mcp__everything__get-env', {})).output) as Record<string, string>;
    expect(env.API_TOKEN).toBe('s3cret-value');
    expect(env.PATH).toBe(process.env.PATH);
    // Must NOT happen: the worker's other variables (or the secret's source name) leaking into the server,
    // or the resolved secret leaking into the report.
    expect(env.LANES_TEST_SECRET).toBeUndefined();
    expect(env.VITEST).toBeUndefined();
    expect(JSON.stringify(report)).not.toContain('s3cret-value');

    const pids = s.pids();
    expect(pids).toHaveLength(1);
    expect(await s.stop()).toEqual({ stopped: 1, survivors: [] });
    expectAllDead(pids);
    expect(s.pids()).toEqual([]);
  });

  it('reads a file through the third-party filesystem server and is refused outside its allowed directory', async () => {
    const allowed = join(dir, 'allowed');
    mkdirSync(allowed);
    writeFileSync(join(allowed, 'notes.txt'), 'lanes was here\n');
    writeFileSync(join(dir, 'secret.txt'), 'do not read\n');

    const s = session();
    const report = await s.start({ fs: thirdPartyServerCommand('filesystem', [allowed]) });
    expect(report.failed).toEqual([]);
    expect(s.tools().map((t) => t.qualifiedName)).toEqual(expect.arrayContaining(['mcp__fs__read_text_file', 'mcp__fs__list_directory']));

    const read = await s.callTool('mcp__fs__read_text_file', { path: join(allowed, 'notes.txt') });
    expect(read).toEqual({ ok: true, output: 'lanes was here\n', restarted: false });
    const listing = await s.callTool('mcp__fs__list_directory', { path: allowed });
    expect(listing.output).toContain('notes.txt');

    // Must NOT happen: the server hands out a file outside the allowed directory.
    const outside = await s.callTool('mcp__fs__read_text_file', { path: join(dir, 'secret.txt') });
    expect(outside.ok).toBe(false);
    expect(outside.class).toBe('tool_runtime');
    expect(outside.output).not.toContain('do not read');

    const pids = s.pids();
    await s.stop();
    expectAllDead(pids);
  });

  it('connects to a remote server over Streamable HTTP and reports an unreachable URL as a startup failure', async () => {
    const port = await freePort();
    const closedPort = await freePort();
    const { command, args } = thirdPartyServerCommand('everything', ['streamableHttp']);
    const http: ChildProcess = spawn(command, args, { env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      await new Promise<void>((resolve, reject) => {
        http.stderr!.on('data', (c: Buffer) => c.toString().includes('listening on port') && resolve());
        http.once('exit', (code) => reject(new Error(`everything server exited with ${code}`)));
      });
      const s = session();
      const report = await s.start({
        remote: { url: `http://127.0.0.1:${port}/mcp` },
        nowhere: { url: `http://127.0.0.1:${closedPort}/mcp`, startupTimeoutMs: 2_000 },
      });
      expect(report.healthy.map((h) => h.name)).toEqual(['remote']);
      expect(report.failed).toEqual([
        expect.objectContaining({ name: 'nowhere', failure_mode: 'startup', class: 'mcp_startup', recoverable: true, attempts: 2 }),
      ]);
      expect(report.failed[0]!.recommendation).toContain('mcp.servers.nowhere.url');
      expect(await s.callTool('mcp__remote__echo', { message: 'over http' })).toEqual({ ok: true, output: 'Echo: over http', restarted: false });
      // Remote servers are not our processes.
      expect(s.pids()).toEqual([]);
      expect(await s.stop()).toEqual({ stopped: 1, survivors: [] });
    } finally {
      http.kill('SIGKILL');
    }
  });

  it('classifies every failure mode, keeps healthy servers usable, restarts a crashing server once, and leaves no process after stop', async () => {
    const logs = {
      echo: spawnLog('echo'),
      hang: spawnLog('hang'),
      crash: spawnLog('crash'),
      always: spawnLog('always'),
      partial: spawnLog('partial'),
      proto: spawnLog('proto'),
    };
    const s = session({ pidFile: join(dir, 'pids.json') });
    const report = await s.start({
      echo: fixtureServerCommand('echo-server', logs.echo.args),
      missing: { command: 'lanes-no-such-mcp-server' },
      hang: { ...fixtureServerCommand('hang-server', ['--ignore-sigterm', ...logs.hang.args]), startupTimeoutMs: 400 },
      broken: { command: 'x', url: 'http://localhost:1/mcp' },
      secretless: { command: 'x', env: { TOKEN: '${LANES_TEST_UNSET_VARIABLE}' } },
      crash: fixtureServerCommand('crash-on-call-server', ['--marker', join(dir, 'crashed-once'), ...logs.crash.args]),
      always: fixtureServerCommand('crash-on-call-server', ['--always', ...logs.always.args]),
      partial: fixtureServerCommand('bad-handshake-server', ['--mode', 'broken-list', ...logs.partial.args]),
      proto: fixtureServerCommand('bad-handshake-server', ['--mode', 'wrong-protocol', ...logs.proto.args]),
    });
    expect(McpReportSchema.parse(report)).toEqual(report);

    expect(report.healthy.map((h) => h.name)).toEqual(['always', 'crash', 'echo']);
    // A server without the resources capability is healthy with no resources.
    expect(report.healthy.find((h) => h.name === 'crash')?.resources).toEqual([]);
    expect(report.healthy.find((h) => h.name === 'echo')?.resources).toEqual([{ uri: 'fixture://greeting', name: 'greeting' }]);
    const modes = Object.fromEntries(report.failed.map((f) => [f.name, [f.failure_mode, f.class, f.recoverable, f.attempts]]));
    expect(modes).toEqual({
      broken: ['config', 'mcp_config', false, 0],
      secretless: ['config', 'mcp_config', false, 0],
      missing: ['startup', 'mcp_startup', true, 2],
      hang: ['handshake', 'mcp_handshake', true, 2],
      partial: ['partial', 'mcp_handshake', true, 2],
      proto: ['handshake', 'mcp_handshake', true, 2],
    });
    expect(report.degraded).toBe(true);
    const missing = report.failed.find((f) => f.name === 'missing')!;
    expect(missing.message).toContain('`lanes-no-such-mcp-server` was not found on PATH');
    expect(missing.recommendation).toContain('mcp.servers.missing.command');
    expect(report.failed.find((f) => f.name === 'hang')!.recommendation).toContain('mcp.servers.hang.startupTimeoutMs');
    expect(report.failed.find((f) => f.name === 'broken')!.message).toContain('both "command" and "url"');

    // Failed servers were retried once and their processes are already gone.
    expect(logs.hang.pids()).toHaveLength(2);
    expect(logs.partial.pids()).toHaveLength(2);
    expectAllDead([...logs.hang.pids(), ...logs.partial.pids(), ...logs.proto.pids()]);
    // Must NOT happen: a failed server's tools offered to the model.
    expect(s.tools().some((t) => t.server === 'partial' || t.server === 'hang')).toBe(false);

    // Healthy servers are usable in degraded mode.
    expect(await s.callTool('mcp__echo__add', { a: 2, b: 40 })).toEqual({ ok: true, output: '42', restarted: false });
    expect(await s.callTool('mcp__echo__fail', { reason: 'tests' })).toEqual({ ok: false, output: 'failed on purpose: tests', class: 'tool_runtime', restarted: false });
    const unavailable = await s.callTool('mcp__hang__anything', {});
    expect(unavailable).toMatchObject({ ok: false, class: 'tool_runtime', restarted: false });
    expect(unavailable.output).toContain('server "hang" failed at start');

    // Crash on the first call: restarted once, the retry succeeds.
    expect(await s.callTool('mcp__crash__echo', { message: 'again' })).toEqual({ ok: true, output: 'survived: again', restarted: true });
    expect(logs.crash.pids()).toHaveLength(2);

    // Crash on every call: exactly one restart, then a tool_runtime result (not a throw).
    const always = await s.callTool('mcp__always__echo', { message: 'x' });
    expect(always).toMatchObject({ ok: false, class: 'tool_runtime', restarted: true });
    expect(always.output).toContain('was restarted once, and died again');
    expect(always.output).toContain('exiting on purpose');
    expect(logs.always.pids()).toHaveLength(2);

    const live = s.pids();
    expect(live).toHaveLength(2); // echo and crash; "always" is down after its failed retry
    expect(JSON.parse(readFileSync(join(dir, 'pids.json'), 'utf8')).map((r: { pid: number }) => r.pid).sort()).toEqual([...live].sort());

    expect(await s.stop()).toEqual({ stopped: 2, survivors: [] });
    expectAllDead(Object.values(logs).flatMap((l) => l.pids()));
    expect(existsSync(join(dir, 'pids.json'))).toBe(false);
    // Server stderr lands in the log, prefixed with the server name.
    expect(readFileSync(join(dir, 'stderr.log'), 'utf8')).toMatch(/^\[always\] crash-on-call fixture \d+: exiting on purpose$/m);
    expect(await s.callTool('mcp__echo__add', { a: 1, b: 1 })).toMatchObject({ ok: false, class: 'tool_runtime' });
  });

  it('restarts a server that was killed between calls on the next call', async () => {
    const log = spawnLog('echo');
    const s = session();
    await s.start({ echo: fixtureServerCommand('echo-server', log.args) });
    const [pid] = s.pids();
    process.kill(pid!, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
    expect(await s.callTool('mcp__echo__echo', { message: 'back' })).toEqual({ ok: true, output: 'back', restarted: true });
    expect(log.pids()).toHaveLength(2);
    expect(s.pids()).not.toContain(pid);
    await s.stop();
    expectAllDead(log.pids());
  });

  it('fails a call that exceeds its timeout as tool_runtime without restarting the server, and honours an abort signal', async () => {
    const log = spawnLog('echo');
    const s = session();
    await s.start({ echo: { ...fixtureServerCommand('echo-server', log.args), callTimeoutMs: 300 } });
    const slow = await s.callTool('mcp__echo__sleep', { ms: 5_000 });
    expect(slow).toMatchObject({ ok: false, class: 'tool_runtime', restarted: false });
    expect(slow.output).toContain('timed out after 300 ms');
    expect(slow.output).toContain('mcp.servers.echo.callTimeoutMs');

    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const aborted = await s.callTool('mcp__echo__sleep', { ms: 5_000 }, { timeoutMs: 10_000, signal: controller.signal });
    expect(aborted).toMatchObject({ ok: false, class: 'cancelled', restarted: false });

    // Must NOT happen: a timeout or cancel treated as a crash (restart).
    expect(log.pids()).toHaveLength(1);
    expect(await s.callTool('mcp__echo__echo', { message: 'still here' }, { timeoutMs: 10_000 })).toMatchObject({ ok: true, restarted: false });
    await s.stop();
    expectAllDead(log.pids());
  });

  it('kills a wrapped server that ignores stdin EOF and SIGTERM, grandchild included', async () => {
    const log = spawnLog('stubborn');
    const s = session({ stopGraceMs: 200 });
    // `; :` keeps sh from exec-ing, so the real server is a grandchild of this process.
    const { command, args } = fixtureServerCommand('echo-server', ['--stubborn', ...log.args]);
    const script = `${[command, ...args].map((a) => `'${a}'`).join(' ')}; :`;
    const report = await s.start({ wrapped: { command: '/bin/sh', args: ['-c', script] } });
    expect(report.healthy.map((h) => h.name)).toEqual(['wrapped']);
    expect(await s.callTool('mcp__wrapped__echo', { message: 'through sh' })).toMatchObject({ ok: true, output: 'through sh' });
    const [shellPid] = s.pids();
    const [serverPid] = log.pids();
    expect(serverPid).not.toBe(shellPid);
    expect(await s.stop()).toEqual({ stopped: 1, survivors: [] });
    expectAllDead([shellPid!]);
    // Must NOT happen: the real server outliving its wrapper.
    expectExited([serverPid!]);
  });
});

describe('mcp check', () => {
  it('returns the report, stops every process, and flags a failed required server', async () => {
    const log = spawnLog('echo');
    const entries = {
      echo: fixtureServerCommand('echo-server', log.args),
      needed: { command: 'lanes-no-such-mcp-server', required: true },
    };
    const report = await checkMcpServers(entries);
    expect(report.healthy.map((h) => h.name)).toEqual(['echo']);
    expect(report.failed.map((f) => f.name)).toEqual(['needed']);
    expect(requiredFailed(report, entries)).toBe(true);
    expect(requiredFailed(report, { ...entries, needed: { command: 'lanes-no-such-mcp-server' } })).toBe(false);
    // Must NOT happen: a checked server left running.
    expect(log.pids()).toHaveLength(1);
    expectAllDead(log.pids());
  });
});

describe('mcp registry', () => {
  it('shares one start between concurrent ensure calls for a lane and re-starts only after stop', async () => {
    const log = spawnLog('echo');
    const registry = new McpRegistry();
    const entries = { echo: fixtureServerCommand('echo-server', log.args) };
    const [a, b] = await Promise.all([registry.ensure('lane-a', entries), registry.ensure('lane-a', entries)]);
    expect(a.session).toBe(b.session);
    expect([a.started, b.started].sort()).toEqual([false, true]);
    // Must NOT happen: two server processes for one lane.
    expect(log.pids()).toHaveLength(1);
    expect(registry.get('lane-a')).toBe(a.session);
    expect(registry.get('lane-b')).toBeUndefined();

    expect(await registry.stop('lane-a')).toEqual({ stopped: 1, survivors: [] });
    expect(registry.get('lane-a')).toBeUndefined();
    const again = await registry.ensure('lane-a', entries);
    expect(again.started).toBe(true);
    expect(log.pids()).toHaveLength(2);
    expect(await registry.stopAll()).toEqual({ stopped: 1, survivors: [] });
    expectAllDead(log.pids());
  });
});

describe('mcp activities', () => {
  it('saves the report, replays a recorded call, and after a worker SIGKILL reaps the orphaned server and re-spawns', async () => {
    const home = join(dir, 'home');
    const log = spawnLog('echo');
    const calls = join(dir, 'calls.log');
    const servers = { echo: fixtureServerCommand('echo-server', ['--stubborn', '--call-log', calls, ...log.args]) };
    const laneId = 'lane-mcp-1';
    const laneDir = join(home, 'lanes', laneId);
    const firstCall = { laneId, servers, qualifiedName: 'mcp__echo__echo', args: { message: 'once' }, callId: 't1-call1' };

    // The first worker is a real process: it starts the servers, makes one call, then is SIGKILLed.
    const root = join(import.meta.dirname, '..', '..');
    const script = join(dir, 'worker.mjs');
    writeFileSync(
      script,
      `import { McpRegistry } from ${JSON.stringify(join(root, 'dist', 'mcp', 'registry.js'))};
import { createMcpActivities } from ${JSON.stringify(join(root, 'dist', 'activities', 'mcp.js'))};
const a = createMcpActivities({ home: ${JSON.stringify(home)}, registry: new McpRegistry() });
const input = ${JSON.stringify(firstCall)};
const report = await a.startMcp({ laneId: input.laneId, servers: input.servers });
const again = await a.startMcp({ laneId: input.laneId, servers: input.servers });
const result = await a.callMcpTool(input);
process.stdout.write(JSON.stringify({ report, again, result }) + '\\n');
setInterval(() => {}, 60_000);
`,
    );
    const worker = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const first = await new Promise<{ report: unknown; again: unknown; result: unknown }>((resolve, reject) => {
      let out = '';
      worker.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('\n')) resolve(JSON.parse(out));
      });
      worker.once('exit', (code) => reject(new Error(`worker exited early with ${code}`)));
    });
    const report = McpReportSchema.parse(first.report);
    expect(report.healthy.map((h) => h.name)).toEqual(['echo']);
    expect(JSON.parse(readFileSync(join(laneDir, MCP_REPORT_FILE), 'utf8'))).toEqual(report);
    // A retried startMcp in the same worker reused the live servers.
    expect(first.again).toEqual(report);
    expect(first.result).toEqual({ ok: true, output: 'once', restarted: false });
    const [orphan] = log.pids();
    expect(log.pids()).toHaveLength(1);
    expect(JSON.parse(readFileSync(join(laneDir, MCP_PID_FILE), 'utf8'))).toEqual([expect.objectContaining({ server: 'echo', pid: orphan })]);

    worker.kill('SIGKILL');
    await new Promise((r) => worker.once('exit', r));
    await new Promise((r) => setTimeout(r, 300));
    // The stubborn server outlived its worker: exactly what the pid record is for.
    process.kill(orphan!, 0);

    const registry = new McpRegistry();
    const b = createMcpActivities({ home, registry });
    // Retrying the recorded call returns the recorded result and spawns nothing.
    expect(await b.callMcpTool(firstCall)).toEqual({ ok: true, output: 'once', restarted: false });
    expect(log.pids()).toHaveLength(1);
    // Must NOT happen: the recorded call executed twice.
    expect(lines(calls)).toEqual(['echo']);

    rmSync(join(laneDir, MCP_REPORT_FILE));
    const after = await b.callMcpTool({ laneId, servers, qualifiedName: 'mcp__echo__add', args: { a: 1, b: 2 }, callId: 't2-call1' });
    expect(after).toEqual({ ok: true, output: '3', restarted: false });
    expect(log.pids()).toHaveLength(2);
    expectExited([orphan!]);
    expect(McpReportSchema.parse(JSON.parse(readFileSync(join(laneDir, MCP_REPORT_FILE), 'utf8'))).healthy).toHaveLength(1);
    expect(lines(calls)).toEqual(['echo', 'add']);

    const live = registry.get(laneId)!.pids();
    expect(await b.stopMcp({ laneId })).toEqual({ stopped: 1, survivors: [] });
    expectAllDead(live);
    expect(existsSync(join(laneDir, MCP_PID_FILE))).toBe(false);
    expect(await b.stopMcp({ laneId })).toEqual({ stopped: 0, survivors: [] });
    expect(registry.laneIds()).toEqual([]);
  });
});
