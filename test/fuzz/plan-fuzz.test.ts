// Property-based fuzzing of run plans (issue 11: "the same for MCP config and plan files once
// they exist"). In process, 1000 hostile plans: each resolves, or is refused (exit 2) with
// one line per problem naming the plan file and a field path. Through the real CLI program,
// hostile plans and arguments for `lanes run` / `lanes plan validate`: exit 2, no workflow
// on the real Temporal server, no file under $LANES_HOME; a sample as real `lanes` processes.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LanesError } from '../../src/errors.js';
import { loadPlanFile } from '../../src/packet/plan-parse.js';
import { runCli } from '../support/cli.js';
import { uniqueTaskQueue } from '../support/temporal.js';
import { assertRefusedVectors, expectFieldPathLines, filesUnder } from './cli-harness.js';
import { hostileValue } from './hostile-inputs.js';
import { hostilePlanText, invalidPlanText, VALID_PLAN } from './hostile-plans.js';

let dir: string;
let home: string;
let client: Client;
let connection: Connection;
const taskQueue = uniqueTaskQueue('planfuzz');
const savedEnv = { ...process.env };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lanes-planfuzz-'));
  home = join(dir, 'home');
  mkdirSync(home);
  // The task packet VALID_PLAN loads by file, so an unmutated plan resolves.
  writeFileSync(join(dir, 'b.yaml'), stringify(VALID_PLAN.tasks[0]!.packet));
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection, namespace: inject('temporalNamespace') });
});
afterAll(async () => {
  process.env = savedEnv;
  await connection.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('fuzz: run plans', () => {
  it('the unmutated plan resolves (so refusals below come from the mutations)', async () => {
    const file = join(dir, 'valid.json');
    writeFileSync(file, JSON.stringify(VALID_PLAN));
    const plan = await loadPlanFile(file);
    expect(plan.tasks.map((t) => t.id)).toEqual(['a', 'b']);
  });

  it('1000 hostile plans: each resolves, or is refused with the file and a field path on every line', async () => {
    let refused = 0;
    let n = 0;
    await fc.assert(
      fc.asyncProperty(hostilePlanText, async ({ text, ext }) => {
        const file = join(dir, `h${n++}${ext}`);
        writeFileSync(file, text, 'latin1');
        try {
          await loadPlanFile(file);
        } catch (err) {
          expect(err).toBeInstanceOf(LanesError);
          expect((err as LanesError).exitCode).toBe(2);
          expectFieldPathLines((err as LanesError).message, file);
          refused++;
        } finally {
          rmSync(file);
        }
      }),
      { numRuns: 1000, endOnFailure: true },
    );
    expect(refused).toBeGreaterThan(500);
    // Must not: a hostile `defaults` (`__proto__`, `constructor`) polluting every object.
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('path tricks in a task packet file reference never crash and name tasks[i].packet.file', async () => {
    await fc.assert(
      fc.asyncProperty(hostileValue, async (value) => {
        const file = join(dir, 'ref.json');
        writeFileSync(file, JSON.stringify({ ...VALID_PLAN, tasks: [VALID_PLAN.tasks[0], { id: 'b', packet: { file: value } }] }));
        try {
          await loadPlanFile(file);
        } catch (err) {
          expect(err).toBeInstanceOf(LanesError);
          expectFieldPathLines((err as LanesError).message, file);
        }
      }),
      { numRuns: 300, endOnFailure: true },
    );
  });
});

describe('fuzz: `lanes run` and `lanes plan validate` argument vectors', () => {
  it('500 vectors with hostile plans and arguments: exit 2 with a field path or a usage error, no workflow, no file', async () => {
    Object.assign(process.env, { LANES_HOME: home, TEMPORAL_ADDRESS: inject('temporalAddress'), TEMPORAL_NAMESPACE: inject('temporalNamespace'), LANES_TASK_QUEUE: taskQueue });
    const planRefusals = await assertRefusedVectors({ commands: [['run'], ['run', '--wait'], ['run', '--follow'], ['plan', 'validate']], documents: invalidPlanText, dir, numRuns: 500 });
    expect(planRefusals).toBeGreaterThan(200);
    expect(filesUnder(home)).toEqual([]);
    expect((await client.workflow.count(`TaskQueue = '${taskQueue}'`)).count).toBe(0);
  }, 600_000);

  it('a sample of hostile plans through real `lanes run` processes: exit 2, field path on stdout, nothing started or written', async () => {
    const env = { LANES_HOME: home, TEMPORAL_ADDRESS: inject('temporalAddress'), TEMPORAL_NAMESPACE: inject('temporalNamespace'), LANES_TASK_QUEUE: taskQueue };
    for (const [i, { text, ext }] of fc.sample(invalidPlanText, { numRuns: 8, seed: 13 }).entries()) {
      const file = join(dir, `real${i}${ext}`);
      writeFileSync(file, text, 'latin1');
      const r = await runCli(['--json', 'run', file, '--wait'], { env });
      expect(r.exitCode, r.stdout + r.stderr).toBe(2);
      expectFieldPathLines(r.json<{ error: { message: string } }>().error.message, file);
    }
    expect(filesUnder(home)).toEqual([]);
    expect((await client.workflow.count(`TaskQueue = '${taskQueue}'`)).count).toBe(0);
  }, 300_000);
});
