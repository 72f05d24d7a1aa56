import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { LanesError } from '../../../src/errors.js';
import { PLAN_JSON_SCHEMA_ID, planJsonSchema } from '../../../src/packet/json-schema.js';
import { findCycle, planGraphProblems } from '../../../src/packet/plan-graph.js';
import { deepMerge, loadPlanFile, resolvePlan } from '../../../src/packet/plan-parse.js';

const root = join(import.meta.dirname, '../../..');
const committedPath = join(root, 'schemas/run-plan.schema.json');
const render = (schema: unknown): string => `${JSON.stringify(schema, null, 2)}\n`;

// Regenerate with: LANES_WRITE_PLAN_SCHEMA=1 npx vitest run test/unit/packet/plan.test.ts
if (process.env.LANES_WRITE_PLAN_SCHEMA === '1') writeFileSync(committedPath, render(planJsonSchema()));

const dir = mkdtempSync(join(tmpdir(), 'lanes-plan-'));
const packet = (objective: string) => ({ objective, acceptance: { targeted: ['true'] }, agent: { provider: 'scripted', model: 's', script: [] } });
const plan = (over: Record<string, unknown> = {}) => ({
  id: 'backlog',
  repo: { path: './repo' },
  doctor: { commands: ['npm test'] },
  tasks: [
    { id: 'a', packet: packet('do a'), locks: { writes: ['src/a/**'] } },
    { id: 'b', packet: packet('do b'), dependsOn: ['a'] },
  ],
  ...over,
});

async function problems(raw: unknown): Promise<string> {
  try {
    await resolvePlan(raw, { source: 'plan.yaml', baseDir: dir });
  } catch (e) {
    expect(e).toBeInstanceOf(LanesError);
    expect((e as LanesError).code).toBe('validation');
    return (e as Error).message;
  }
  throw new Error('plan was accepted');
}

describe('packet/plan', () => {
  it('matches the committed schemas/run-plan.schema.json byte for byte', () => {
    expect(readFileSync(committedPath, 'utf8'), 'schema drifted: regenerate with LANES_WRITE_PLAN_SCHEMA=1 npx vitest run test/unit/packet/plan.test.ts').toBe(render(planJsonSchema()));
    expect(planJsonSchema().$id).toBe(PLAN_JSON_SCHEMA_ID);
  });

  it('the JSON Schema accepts the example plan and refuses an unknown key', () => {
    const validate = new Ajv2020({ strict: false, validateFormats: false }).compile(planJsonSchema());
    const example: unknown = parseYaml(readFileSync(join(root, 'examples/plan.yaml'), 'utf8'));
    expect(validate(example), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...plan(), extra: 1 })).toBe(false);
  });

  it('resolves tasks: defaults applied under each packet, repo and target set, fingerprints stable', async () => {
    const p = await resolvePlan(plan({ defaults: { escalation: { timeoutMs: 5000 }, agent: { maxTurns: 3 } } }), { source: 'plan.yaml', baseDir: dir });
    expect(p.integrationBranch).toBe('lanes-run/backlog');
    expect(p.target).toBe('main');
    expect(p.maxParallel).toBe(2);
    expect(p.tasks.map((t) => t.id)).toEqual(['a', 'b']);
    expect(p.tasks[0]!.packet.repo.path).toBe(join(dir, 'repo'));
    expect(p.tasks[0]!.packet.escalation.timeoutMs).toBe(5000);
    expect(p.tasks[0]!.packet.agent.maxTurns).toBe(3);
    expect(p.tasks[0]!.packet.agent.provider).toBe('scripted');
    expect(p.tasks[0]!.locks).toEqual({ reads: [], writes: ['src/a/**'] });
    const again = await resolvePlan(plan(), { source: 'plan.yaml', baseDir: dir });
    expect(again.tasks[1]!.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(again.tasks[0]!.fingerprint).not.toBe(again.tasks[1]!.fingerprint);
  });

  it('loads a task packet from a file relative to the plan', async () => {
    writeFileSync(join(dir, 'task-c.json'), JSON.stringify(packet('do c')));
    const file = join(dir, 'plan.json');
    writeFileSync(file, JSON.stringify(plan({ tasks: [{ id: 'c', packet: { file: 'task-c.json' } }] })));
    const p = await loadPlanFile(file);
    expect(p.tasks[0]!.packet.objective).toBe('do c');
  });

  it('refuses a cycle, naming the path and the cycle', async () => {
    const msg = await problems(plan({ tasks: [{ id: 'a', packet: packet('a'), dependsOn: ['b'] }, { id: 'b', packet: packet('b'), dependsOn: ['a'] }] }));
    expect(msg).toContain('plan.yaml: tasks[0].dependsOn: dependency cycle: a -> b -> a');
  });

  it('refuses unknown dependencies and duplicate ids, every one listed', async () => {
    const msg = await problems(plan({ tasks: [{ id: 'a', packet: packet('a'), dependsOn: ['zz'] }, { id: 'a', packet: packet('a2') }] }));
    expect(msg).toContain('tasks[0].dependsOn[0]: unknown task "zz"');
    expect(msg).toContain('tasks[1].id: duplicate task id "a" (also tasks[0])');
  });

  // Found by test/fuzz/plan-fuzz.test.ts: each was a crash or a problem spread over lines.
  it('hostile plans found by the fuzz: a control character in dependsOn, a string repo in defaults, a __proto__ default ignored', async () => {
    const dep = await problems(plan({ tasks: [{ id: 'a', packet: packet('a'), dependsOn: ['\u000f\n\u0012'] }] }));
    expect(dep).toContain('plan.yaml: tasks[0].dependsOn[0]: unknown task "\\u000f\\n\\u0012"');
    expect(dep.split('\n').every((l) => l.startsWith('plan.yaml: '))).toBe(true);
    // A 100k-character string spread into the repo object made 100k problems and overflowed the stack.
    const repo = await problems(plan({ defaults: { repo: 'x'.repeat(100_000) } }));
    expect(repo).toMatch(/^plan\.yaml: tasks\[0\]\.packet: repo: /m);
    expect(repo.split('\n').length).toBeLessThanOrEqual(2 * 50);
    // Must not: a __proto__ key in defaults reaching the packets (merge.mode "none" would be refused) or Object.prototype.
    const proto = await resolvePlan(plan({ defaults: JSON.parse('{"__proto__": {"merge": {"mode": "none"}}}') }), { source: 'plan.yaml', baseDir: dir });
    expect(proto.tasks.map((t) => t.packet.merge.mode)).toEqual(['merge', 'merge']);
    expect(({} as Record<string, unknown>).merge).toBeUndefined();
  });

  it('refuses a task on a different repo, and fields the run owns', async () => {
    const msg = await problems(
      plan({
        tasks: [
          { id: 'a', packet: { ...packet('a'), repo: { path: '/elsewhere' } } },
          { id: 'b', packet: { ...packet('b'), merge: { target: 'prod' } } },
          { id: 'c', packet: { ...packet('c'), id: 'x' } },
        ],
      }),
    );
    expect(msg).toMatch(/tasks\[0\]\.packet: repo\.path: task works on \/elsewhere, not the plan's repository/);
    expect(msg).toContain('tasks[1].packet: merge.target: lanes of a run land on the integration branch');
    expect(msg).toContain('tasks[2].packet: id: a task packet has no id in a plan');
  });

  it('refuses a bad packet inside a task with the packet field path', async () => {
    const msg = await problems(plan({ tasks: [{ id: 'a', packet: { objective: 'x', acceptance: { targeted: ['t'] }, agent: { provider: 'gpt', model: 'm' } } }] }));
    expect(msg).toMatch(/plan\.yaml: tasks\[0\]\.packet: agent\.provider: "gpt" is not an allowed value/);
  });

  it('refuses plan-level mistakes with paths: unknown keys, missing doctor, bad ids', async () => {
    const { doctor: _d, ...noDoctor } = plan();
    expect(await problems(noDoctor)).toContain('plan.yaml: doctor: required');
    expect(await problems(plan({ maxParalel: 3 }))).toContain('plan.yaml: maxParalel: unknown key');
    expect(await problems(plan({ id: 'bad id' }))).toMatch(/plan\.yaml: id: "bad id" does not match/);
    expect(await problems(plan({ tasks: [] }))).toContain('plan.yaml: tasks: has 0 items');
  });

  it('graph helpers: findCycle finds none in a DAG, self-dependency is its own problem', () => {
    expect(findCycle([{ id: 'a', dependsOn: [] }, { id: 'b', dependsOn: ['a'] }])).toBeNull();
    expect(planGraphProblems([{ id: 'a', dependsOn: ['a'] }])).toEqual([{ path: 'tasks[0].dependsOn[0]', what: 'task "a" depends on itself', allowed: 'ids of other tasks' }]);
  });

  it('deepMerge: objects merge, arrays and scalars from the task win', () => {
    expect(deepMerge({ a: { x: 1, y: [1] }, b: 1 }, { a: { y: [2] }, c: 2 })).toEqual({ a: { x: 1, y: [2] }, b: 1, c: 2 });
  });
});
