// Secrets never recorded (issue 11), through a real worker: a token planted in the worker's
// environment (credential-named, so it is scrubbed from lane commands) and a packet-declared
// secret (passed to lane commands) are printed by the agent's bash and by a test. Neither value
// appears anywhere under $LANES_HOME, in the lane's Temporal history (fetched and searched,
// payloads decoded) or in a webhook body; the [REDACTED:<name>] markers do.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALCULATOR_FIX } from '../../src/demo/fixture-repo.js';
import { laneDir } from '../support/lane-assertions.js';
import { type LaneStack, mockPacket, startLaneStack } from '../support/lane-stack.js';

const TOKEN = 'svc-tok-5a1f9e33c0d7-planted';
const DECLARED = 'demo-db-pass-e4b7c2a9';
let stack: LaneStack;
let hook: Server;
const bodies: string[] = [];

beforeAll(async () => {
  stack = await startLaneStack({ worker: false });
  stack.env.PLANTED_SERVICE_TOKEN = TOKEN;
  stack.env.DEMO_DB_PASS = DECLARED;
  await stack.startWorker();
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      bodies.push(body);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
});

afterAll(async () => {
  await new Promise<void>((r) => hook?.close(() => r()));
  await stack?.stop();
});

/** Every file under dir with its bytes as latin1 text (binary-safe search). */
function filesUnder(dir: string): [string, string][] {
  const out: [string, string][] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) continue;
    if (st.isDirectory()) out.push(...filesUnder(p));
    else if (st.isFile()) out.push([p, readFileSync(p).toString('latin1')]);
  }
  return out;
}

/** The history as text with every payload's bytes decoded, so a planted value can be searched for. */
function historyText(history: unknown): string {
  return JSON.stringify(history, (k, v: unknown) => {
    if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
    // Payload bytes may come as base64 text: decode them, or a planted value could never match.
    if (k === 'data' && typeof v === 'string') return Buffer.from(v, 'base64').toString('utf8');
    // A Buffer has already been turned into { type: 'Buffer', data: [...] } by its toJSON.
    const b = v as { type?: unknown; data?: unknown } | null;
    if (b && b.type === 'Buffer' && Array.isArray(b.data)) return Buffer.from(b.data as number[]).toString('utf8');
    return v;
  });
}

describe('lane secrets', () => {
  it('a planted and a declared secret printed by bash and by a test appear nowhere in $LANES_HOME, the Temporal history or webhook bodies', async () => {
    const repo = await stack.fixture('secrets');
    const laneId = 'secrets';
    const printer = `import { test } from 'node:test';\nconsole.log('test sees declared=' + process.env.DEMO_DB_PASS + ' planted=' + (process.env.PLANTED_SERVICE_TOKEN ?? 'unset') + ' literal=${TOKEN}');\ntest('prints secrets', () => {});\n`;
    stack.mock.script('secrets', [
      {
        text: 'Fixing multiply, then printing what I can see.',
        toolCalls: [
          { name: 'write_file', input: { path: 'src/math.js', content: CALCULATOR_FIX } },
          { name: 'write_file', input: { path: 'test/zz-print.test.js', content: printer } },
          { name: 'bash', input: { command: `echo "bash sees declared=$DEMO_DB_PASS planted=\${PLANTED_SERVICE_TOKEN:-unset} literal=${TOKEN}"` } },
        ],
      },
      { text: `Done; the token was ${TOKEN}.` },
    ]);
    const url = `http://127.0.0.1:${(hook.address() as { port: number }).port}/hook`;
    const packet = mockPacket(laneId, repo.path, 'secrets', { secrets: ['DEMO_DB_PASS'], report: { webhook: url, level: 'events' } });
    const r = await stack.cli(['submit', stack.writePacket(laneId, packet), '--wait', '--json'], { timeoutMs: 180_000 });
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.json()).toMatchObject({ state: 'finished', landed: true });

    // Positive: the values were printed and redacted where they were recorded.
    const files = filesUnder(stack.home);
    const lane = files.filter(([p]) => p.startsWith(laneDir(stack, laneId)));
    const all = lane.map(([, t]) => t).join('\n');
    expect(all).toContain('declared=[REDACTED:DEMO_DB_PASS]');
    expect(all).toContain('planted=unset');
    expect(all).toContain('literal=[REDACTED:PLANTED_SERVICE_TOKEN]');

    // Must not: either value anywhere under $LANES_HOME (artifacts, logs, transcripts, events, reports).
    for (const [path, text] of files) {
      expect(text.includes(TOKEN), path).toBe(false);
      expect(text.includes(DECLARED), path).toBe(false);
    }
    // Must not: either value in the Temporal history, payloads decoded.
    const history = await stack.client.workflow.getHandle(`lane-${laneId}`).fetchHistory();
    const text = historyText(history);
    expect(text.length).toBeGreaterThan(1000);
    expect(text).toContain('[REDACTED:PLANTED_SERVICE_TOKEN]');
    expect(text.includes(TOKEN)).toBe(false);
    expect(text.includes(DECLARED)).toBe(false);
    // Must not: either value in a webhook body.
    expect(bodies.length).toBeGreaterThan(0);
    for (const b of bodies) {
      expect(b.includes(TOKEN)).toBe(false);
      expect(b.includes(DECLARED)).toBe(false);
    }
  });
});
