// Property-based fuzzing of everything a packet author (or an attacker writing one) controls.
// In process, 1500 hostile packets: each is valid or refused with one line per problem that
// names the file and the field path. Through the real CLI program, 1000 hostile argument
// vectors for `lanes submit` / `lanes packet validate`: each exits 2 with a field path, no
// workflow starts on the real Temporal server, no file appears under $LANES_HOME. A sample
// also runs as real `lanes` processes. MCP server entries get the same treatment.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LanesError } from '../../src/errors.js';
import { validateServer } from '../../src/mcp/config.js';
import { parsePacket } from '../../src/packet/parse.js';
import { runCli } from '../support/cli.js';
import { uniqueTaskQueue } from '../support/temporal.js';
import { assertRefusedVectors, expectFieldPathLines, filesUnder } from './cli-harness.js';
import { hostilePacketText, hostileValue, invalidPacketText, PATH_FIELDS } from './hostile-inputs.js';

let dir: string;
let home: string;
let client: Client;
let connection: Connection;
const taskQueue = uniqueTaskQueue('fuzz');
const savedEnv = { ...process.env };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lanes-fuzz-'));
  home = join(dir, 'home');
  mkdirSync(home);
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection, namespace: inject('temporalNamespace') });
});
afterAll(async () => {
  process.env = savedEnv;
  await connection.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('fuzz: packets', () => {
  it('1500 hostile packets: each valid, or refused with the file and a field path on every line', () => {
    let refused = 0;
    fc.assert(
      fc.property(hostilePacketText, ({ text, ext }) => {
        const source = `fuzz${ext}`;
        try {
          parsePacket(text, { source });
        } catch (err) {
          expect(err).toBeInstanceOf(LanesError);
          expect((err as LanesError).exitCode).toBe(2);
          expectFieldPathLines((err as LanesError).message, source);
          refused++;
        }
      }),
      { numRuns: 1500 },
    );
    expect(refused).toBeGreaterThan(1000);
  });

  it('path tricks in every path field never crash the parser and keep their field in the error', () => {
    fc.assert(
      fc.property(fc.constantFrom(...PATH_FIELDS), hostileValue, (path, value) => {
        const packet: Record<string, unknown> = JSON.parse(JSON.stringify({ objective: 'x', repo: { path: '/r' }, acceptance: { targeted: ['t'] }, agent: { provider: 'scripted', model: 's', script: [{ text: 'a' }] } }));
        let cur = packet;
        for (const k of path.slice(0, -1)) cur = (cur[k as string] ??= typeof path[path.indexOf(k) + 1] === 'number' ? [] : {}) as Record<string, unknown>;
        cur[path[path.length - 1] as string] = value;
        try {
          parsePacket(JSON.stringify(packet), { source: 'p.json' });
        } catch (err) {
          expect(err).toBeInstanceOf(LanesError);
          expectFieldPathLines((err as LanesError).message, 'p.json');
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('fuzz: MCP server entries', () => {
  it('1000 hostile entries: each valid, or one issue naming mcp.servers.<name>.<field>', () => {
    const entry = fc.oneof(
      hostileValue,
      fc.record({ command: hostileValue, args: hostileValue, env: hostileValue, cwd: hostileValue }, { requiredKeys: [] }),
      fc.record({ url: hostileValue, headers: hostileValue, required: hostileValue }, { requiredKeys: [] }),
      fc.dictionary(fc.string({ maxLength: 12 }), hostileValue, { maxKeys: 4 }),
    );
    fc.assert(
      fc.property(fc.oneof(fc.constant('docs'), fc.string({ maxLength: 80 })), entry, (name, e) => {
        const r = validateServer(name, e);
        if ('issue' in r) {
          expect(r.issue.message.startsWith(`mcp.servers.${name}`), r.issue.message).toBe(true);
          expect(r.issue.field.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('fuzz: CLI argument vectors', () => {
  it('1000 vectors of `submit`/`packet validate` with hostile packets and arguments: exit 2, a field path, no workflow, no file', async () => {
    Object.assign(process.env, { LANES_HOME: home, TEMPORAL_ADDRESS: inject('temporalAddress'), TEMPORAL_NAMESPACE: inject('temporalNamespace'), LANES_TASK_QUEUE: taskQueue });
    const packetsDir = join(dir, 'packets');
    mkdirSync(packetsDir);
    const packetRefusals = await assertRefusedVectors({ commands: [['submit'], ['packet', 'validate'], ['submit', '--wait'], ['submit', '--follow']], documents: invalidPacketText, dir: packetsDir, numRuns: 1000 });
    expect(packetRefusals).toBeGreaterThan(400);
    expect(filesUnder(home)).toEqual([]);
    const started = await client.workflow.count(`TaskQueue = '${taskQueue}'`);
    expect(started.count).toBe(0);
  }, 600_000);

  it('a sample of hostile packets through real `lanes` processes: exit 2, field path on stdout, nothing started or written', async () => {
    const env = { LANES_HOME: home, TEMPORAL_ADDRESS: inject('temporalAddress'), TEMPORAL_NAMESPACE: inject('temporalNamespace'), LANES_TASK_QUEUE: taskQueue };
    const samples = fc.sample(invalidPacketText, { numRuns: 12, seed: 11 });
    for (const [i, { text, ext }] of samples.entries()) {
      const file = join(dir, `real${i}${ext}`);
      writeFileSync(file, text, 'latin1');
      const r = await runCli(['--json', 'submit', file], { env });
      expect(r.exitCode, r.stdout + r.stderr).toBe(2);
      expectFieldPathLines(r.json<{ error: { message: string } }>().error.message, file);
    }
    expect(filesUnder(home)).toEqual([]);
    expect((await client.workflow.count(`TaskQueue = '${taskQueue}'`)).count).toBe(0);
  }, 300_000);
});
