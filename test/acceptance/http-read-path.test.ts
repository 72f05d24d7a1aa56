// The CLI's HTTP read path (issue 12, CLI latency): `lanes status`, `lanes events` and `lanes list` over the
// Temporal server's HTTP API print exactly what they print over gRPC — a running lane, a
// closed lane, a missing one — without loading the Temporal client; when the HTTP API is not
// there they fall back to gRPC with the same output. Real dev server (with its HTTP port),
// real `lanes worker`, real CLI child processes.
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../src/devserver/server.js';
import { LANES_BIN } from '../support/cli.js';
import { type LaneStack, mockPacket, startLaneStack } from '../support/lane-stack.js';

const FIX = [
  { text: 'Adding multiply.', toolCalls: [{ name: 'write_file', input: { path: 'src/math.js', content: 'export function add(a, b) {\n  return a + b;\n}\n\nexport function multiply(a, b) {\n  return a * b;\n}\n' } }] },
  { text: 'Done.' },
];

let stack: LaneStack;
let hookFile: string;
/** A server that is not Temporal's HTTP API: 404 (with a body that is not Temporal's) for everything. */
let notTemporal: Server;
let notTemporalAddress: string;

beforeAll(async () => {
  stack = await startLaneStack();
  stack.mock.script('http-fix', FIX);
  // Records every CommonJS module the CLI process loaded (the Temporal SDK is CommonJS).
  hookFile = join(stack.home, 'record-modules.cjs');
  writeFileSync(hookFile, "process.on('exit', () => require('fs').writeFileSync(process.env.LOADED_MODULES_OUT, Object.keys(require.cache).join('\\n')));\n");
  notTemporal = createServer((_req, res) => res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found'));
  await new Promise<void>((r) => notTemporal.listen(0, '127.0.0.1', r));
  notTemporalAddress = `127.0.0.1:${(notTemporal.address() as { port: number }).port}`;
});

afterAll(async () => {
  notTemporal?.close();
  await stack?.stop();
});

const HTTP = () => ({ TEMPORAL_HTTP_ADDRESS: inject('temporalHttpAddress'), LANES_DEBUG: '1' });
const GRPC = { TEMPORAL_HTTP_ADDRESS: 'none', LANES_DEBUG: '1' };

/** Runs the built CLI with extra env; `modules` lists the CommonJS modules it loaded. */
async function lanes(args: string[], env: NodeJS.ProcessEnv) {
  const out = join(stack.home, `modules-${Math.random().toString(36).slice(2)}.txt`);
  const r = await execa(process.execPath, ['--require', hookFile, LANES_BIN, ...args], { env: { ...process.env, ...stack.env, ...env, LOADED_MODULES_OUT: out }, reject: false });
  return { exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr), modules: readFileSync(out, 'utf8').split('\n') };
}

const overHttp = /^lanes: debug: read (lane \S+|the lane list) over the HTTP API at /m;
const temporalClientLoaded = (modules: string[]) => modules.some((m) => m.includes('/node_modules/@temporalio/client/'));
const anyTemporalSdkLoaded = (modules: string[]) => modules.some((m) => m.includes('/node_modules/@temporalio/') || m.includes('/node_modules/@grpc/'));

describe('lanes status / events over the HTTP API', () => {
  it('a closed lane and a running lane: the same JSON and text as over gRPC, and no Temporal SDK module loaded', async () => {
    const repo = await stack.fixture('http-closed');
    const packet = stack.writePacket('http-closed', mockPacket('http-closed', repo.path, 'http-fix'));
    const done = await stack.cli(['submit', packet, '--wait', '--json'], { timeoutMs: 120_000 });
    expect(done.exitCode, done.stdout + done.stderr).toBe(0);
    // Outside the trusted roots: the lane waits for `lanes trust`, RUNNING.
    const untrusted = await stack.fixture('http-running', { trusted: false });
    const waiting = await stack.cli(['submit', stack.writePacket('http-running', mockPacket('http-running', untrusted.path, 'unused')), '--json']);
    expect(waiting.exitCode, waiting.stdout + waiting.stderr).toBe(0);
    for (let i = 0; i < 100 && !(await lanes(['status', 'http-running', '--json'], GRPC)).stdout.includes('"phase":"trust_required"'); i++) await new Promise((r) => setTimeout(r, 200));

    for (const lane of ['http-closed', 'http-running']) {
      for (const args of [['status', lane, '--json'], ['status', lane], ['events', lane, '--json'], ['events', lane, '--after', '2']]) {
        const viaHttp = await lanes(args, HTTP());
        const viaGrpc = await lanes(args, GRPC);
        expect(viaHttp.exitCode, viaHttp.stderr).toBe(0);
        expect(viaHttp.stderr).toMatch(overHttp);
        expect(viaHttp.stdout).toBe(viaGrpc.stdout);
        expect(viaGrpc.exitCode).toBe(0);
        // Must NOT: the HTTP path loading the Temporal client, gRPC or any Temporal SDK package.
        expect(anyTemporalSdkLoaded(viaHttp.modules)).toBe(false);
        // The recorder sees the SDK when it is loaded: the gRPC path does load it.
        expect(temporalClientLoaded(viaGrpc.modules)).toBe(true);
      }
    }
    // `lanes list`: the same rows (and the same usage error for a bad filter) from the visibility API.
    // Only this test's lanes: other files' lanes on the shared server change state between the two reads.
    const ours = ['--query', "WorkflowId IN ('lane-http-closed', 'lane-http-running')"];
    for (const args of [['list', ...ours, '--json'], ['list', ...ours], ['list', ...ours, '--state', 'trust_required', '--json'], ['list', ...ours, '--limit', '1', '--json'], ['list', '--query', 'NoSuchAttribute = 1', '--json']]) {
      const viaHttp = await lanes(args, HTTP());
      const viaGrpc = await lanes(args, GRPC);
      expect(viaHttp.stdout).toBe(viaGrpc.stdout);
      expect(viaHttp.exitCode).toBe(viaGrpc.exitCode);
      expect(viaHttp.stderr).toMatch(overHttp);
      expect(anyTemporalSdkLoaded(viaHttp.modules)).toBe(false);
    }
    const listed = JSON.parse((await lanes(['list', ...ours, '--json'], HTTP())).stdout);
    expect(listed.map((r: { laneId: string }) => r.laneId).sort()).toEqual(['http-closed', 'http-running']);
    expect((await lanes(['list', '--query', 'NoSuchAttribute = 1', '--json'], HTTP())).exitCode).toBe(2);
    const closed = JSON.parse((await lanes(['status', 'http-closed', '--json'], HTTP())).stdout);
    expect(closed).toMatchObject({ laneId: 'http-closed', phase: 'finished', workflowStatus: 'COMPLETED' });
    // Key order is the workflow's own (the HTTP API's payload shorthand would have sorted it).
    expect(Object.keys(closed).slice(0, 3)).toEqual(['laneId', 'phase', 'greenLevel']);
    const running = JSON.parse((await lanes(['status', 'http-running', '--json'], HTTP())).stdout);
    expect(running).toMatchObject({ laneId: 'http-running', workflowStatus: 'RUNNING', phase: 'trust_required' });
    await stack.client.workflow.getHandle('lane-http-running').terminate('test cleanup');
  });

  it('a missing lane: the same not_found error (JSON and text, exit 1) on both paths', async () => {
    for (const args of [['status', 'no-such-lane', '--json'], ['status', 'no-such-lane'], ['events', 'no-such-lane', '--json']]) {
      const viaHttp = await lanes(args, HTTP());
      const viaGrpc = await lanes(args, GRPC);
      expect(viaHttp.exitCode).toBe(1);
      expect(viaGrpc.exitCode).toBe(1);
      expect(viaHttp.stdout).toBe(viaGrpc.stdout);
      const withoutDebug = (s: string) => s.replace(/^lanes: debug: .*$\n?/gm, '');
      expect(withoutDebug(viaHttp.stderr)).toBe(withoutDebug(viaGrpc.stderr));
      // Must NOT: the HTTP path falling back to gRPC for an answer it has.
      expect(viaHttp.stderr).toMatch(overHttp);
      expect(anyTemporalSdkLoaded(viaHttp.modules)).toBe(false);
    }
    const err = JSON.parse((await lanes(['status', 'no-such-lane', '--json'], HTTP())).stdout).error;
    expect(err).toMatchObject({ code: 'not_found', message: 'no lane no-such-lane: workflow lane-no-such-lane does not exist' });
  });

  it('no HTTP API at the address (port closed, or a server that is not Temporal): falls back to gRPC with the same output', async () => {
    const closedPort = `127.0.0.1:${await freePort()}`;
    const reference = await lanes(['status', 'http-closed', '--json'], GRPC);
    expect(reference.exitCode).toBe(0);
    for (const address of [closedPort, notTemporalAddress]) {
      for (const lane of ['http-closed', 'no-such-lane']) {
        const r = await lanes(['status', lane, '--json'], { TEMPORAL_HTTP_ADDRESS: address, LANES_DEBUG: '1' });
        const g = await lanes(['status', lane, '--json'], GRPC);
        expect(r.stdout).toBe(g.stdout);
        expect(r.exitCode).toBe(g.exitCode);
        expect(r.stderr).toMatch(/reading over gRPC/);
        // Must NOT: an answer read from something that is not Temporal's HTTP API.
        expect(r.stderr).not.toMatch(overHttp);
      }
    }
  });

  it('a TLS or API-key connection never takes the plaintext HTTP path; a malformed address is a usage error naming it', async () => {
    const r = await lanes(['status', 'http-closed', '--json'], { ...HTTP(), TEMPORAL_API_KEY: 'k', TEMPORAL_TLS: '0' });
    expect(r.stderr).toMatch(/TLS or an API key; the HTTP path is plaintext only/);
    expect(r.stderr).not.toMatch(overHttp);
    const bad = await lanes(['status', 'http-closed', '--json'], { TEMPORAL_HTTP_ADDRESS: 'https://example.invalid:443' });
    expect(bad.exitCode).toBe(2);
    expect(JSON.parse(bad.stdout).error.message).toContain('TEMPORAL_HTTP_ADDRESS must be the HTTP API\'s host:port');
  });
});
