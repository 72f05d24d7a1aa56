// Packets through the built CLI (issue 3): a malformed packet is refused whole before
// anything starts; `lanes packet validate|schema` check without starting; and
// `lanes demo` lands its change on the run's dev server.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { WorkflowNotFoundError } from '@temporalio/client';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { type LaneStack, startLaneStack } from '../support/lane-stack.js';
import { uniqueTaskQueue } from '../support/temporal.js';

const EXAMPLES = new URL('../../examples/', import.meta.url).pathname;

let stack: LaneStack;
let dir: string;

beforeAll(async () => {
  // No worker: nothing in the refusal tests may run, and the demo brings its own.
  stack = await startLaneStack({ worker: false });
  dir = mkdtempSync(join(tmpdir(), 'lanes-packets-'));
});

afterAll(async () => {
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const BASE = `objective: Add multiply
repo: { path: . }
acceptance: { targeted: [ "node --test test/" ] }
`;

/** Malformed packets: file name, text, the field path (or location) the error must name. */
const MALFORMED: [kind: string, file: string, text: string, mustName: RegExp][] = [
  ['unknown key', 'unknown-key.yaml', `id: bad-unknown-key\n${BASE}agent: { provider: anthropic, model: m, temprature: 1 }\n`, /agent\.temprature: unknown key; allowed: kind, provider, model/],
  ['bad enum', 'bad-enum.yaml', `id: bad-enum\n${BASE}merge: { mode: yolo }\nagent: { provider: anthropic, model: m }\n`, /merge\.mode: "yolo" is not an allowed value; allowed: merge, squash, ff_only, none/],
  [
    'missing objective',
    'missing-objective.json',
    JSON.stringify({ id: 'bad-missing-objective', repo: { path: '.' }, acceptance: { targeted: ['true'] }, agent: { provider: 'anthropic', model: 'm' } }),
    /objective: required/,
  ],
  ['YAML syntax error', 'yaml-syntax.yaml', `id: bad-yaml-syntax\nobjective: [unclosed\nrepo: { path: . }\n`, /invalid YAML at line \d+, column \d+/],
  ['scripted without script', 'scripted-no-script.yaml', `id: bad-scripted\n${BASE}agent: { provider: scripted, model: scripted }\n`, /agent\.script: provider 'scripted' needs a script/],
];

async function expectNoWorkflow(laneId: string): Promise<void> {
  await expect(stack.client.workflow.getHandle(`lane-${laneId}`).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
}

describe('packet CLI', () => {
  it.each(MALFORMED)('a malformed packet (%s) is refused by submit with exit 2 naming the field, and starts no workflow', async (_kind, name, text, mustName) => {
    const file = join(dir, name);
    writeFileSync(file, text);
    const laneId = /id: (\S+)/.exec(text)?.[1] ?? (JSON.parse(text) as { id: string }).id;

    const r = await stack.cli(['submit', file, '--wait', '--json']);
    expect(r.exitCode, r.stdout + r.stderr).toBe(2);
    const body = r.json();
    expect(body.error.code).toBe('validation');
    expect(body.error.message).toMatch(mustName);
    expect(body.error.message).toContain(name);
    expect(body.error.hint).toBeTruthy();
    // Must not: a workflow for this id (nothing starts for a refused packet), or stderr noise in JSON mode.
    await expectNoWorkflow(laneId);
    expect(r.stderr).toBe('');

    // validate refuses it the same way, with the same message, without a server.
    const v = await runCli(['packet', 'validate', file, '--json'], { env: { LANES_HOME: stack.home, TEMPORAL_ADDRESS: '127.0.0.1:1' } });
    expect(v.exitCode).toBe(2);
    expect(v.json().error.message).toBe(body.error.message);
  });

  it('a remote repo.url the client cannot reach is refused by submit with exit 2 naming the field; one with credentials by the schema, without echoing them', async () => {
    const file = join(dir, 'repo-url.yaml');
    const missing = pathToFileURL(join(dir, 'no-such-remote.git')).href;
    writeFileSync(file, `id: bad-repo-url\nobjective: x\nrepo: { url: "${missing}" }\nacceptance: { targeted: [ "true" ] }\nagent: { provider: anthropic, model: m }\n`);
    const r = await stack.cli(['submit', file, '--json']);
    expect(r.exitCode).toBe(2);
    expect(r.json().error).toMatchObject({ code: 'validation', message: expect.stringContaining(`${file}: repo.url: cannot list the branches of ${missing}`) });
    expect(r.json().error.hint).toMatch(/credential helper/);

    const secretFile = join(dir, 'repo-url-secret.yaml');
    writeFileSync(secretFile, `id: bad-repo-url\nobjective: x\nrepo: { url: "https://bot:hunter2-token@example.com/x.git" }\nacceptance: { targeted: [ "true" ] }\nagent: { provider: anthropic, model: m }\n`);
    const v = await runCli(['packet', 'validate', secretFile, '--json'], { env: { LANES_HOME: stack.home, TEMPORAL_ADDRESS: '127.0.0.1:1' } });
    expect(v.exitCode).toBe(2);
    expect(v.json().error.message).toContain('repo.url: "https://***@example.com/x.git" carries credentials in the URL');
    // Must not: start a lane for either, or repeat the secret.
    expect(v.stdout + v.stderr).not.toContain('hunter2-token');
    await expectNoWorkflow('bad-repo-url');
  });

  it('packet validate exits 0 on the shipped examples without contacting a server, and 2 on a missing file', async () => {
    const env = { LANES_HOME: stack.home, TEMPORAL_ADDRESS: '127.0.0.1:1' };
    const ok = await runCli(['packet', 'validate', join(EXAMPLES, 'minimal.yaml'), '--json'], { env });
    expect(ok.exitCode, ok.stdout).toBe(0);
    expect(ok.json()).toMatchObject({ valid: true, provider: 'scripted', objective: 'Add a GREETING file that says hello' });
    const full = await runCli(['packet', 'validate', join(EXAMPLES, 'full.json'), '--json'], { env });
    expect(full.exitCode, full.stdout).toBe(0);
    const missing = await runCli(['packet', 'validate', join(dir, 'does-not-exist.yaml'), '--json'], { env });
    expect(missing.exitCode).toBe(2);
    expect(missing.json().error.message).toMatch(/does not exist/);
    // Must not: a text message on stdout or stderr in JSON mode.
    expect(ok.stderr).toBe('');
  });

  it('packet schema --json prints the task packet JSON Schema', async () => {
    const r = await runCli(['packet', 'schema', '--json'], { env: { LANES_HOME: stack.home, TEMPORAL_ADDRESS: '127.0.0.1:1' } });
    expect(r.exitCode).toBe(0);
    const schema = r.json();
    expect(schema.type).toBe('object');
    expect(schema.properties.objective).toBeDefined();
    expect(schema.required).toEqual(expect.arrayContaining(['objective', 'repo', 'acceptance', 'agent']));
    // Must not: accept unknown top-level keys (the packet is strict).
    expect(schema.additionalProperties).toBe(false);
  });

  it('lanes demo lands the scripted calculator fix on the run dev server and says it is scripted', async () => {
    const home = mkdtempSync(join(tmpdir(), 'lanes-demo-home-'));
    try {
      const started = Date.now();
      const r = await runCli(['demo', '--json'], {
        env: {
          LANES_HOME: home,
          TEMPORAL_ADDRESS: inject('temporalAddress'),
          TEMPORAL_NAMESPACE: inject('temporalNamespace'),
          TEMPORAL_CLI_PATH: inject('temporalBinary'),
          LANES_WEB_UI_URL: inject('temporalUiUrl'),
          LANES_TASK_QUEUE: uniqueTaskQueue('lanes-demo'),
          LANES_TRUSTED_ROOTS: '',
        },
        timeoutMs: 90_000,
      });
      const durationMs = Date.now() - started;
      console.log(`lanes demo finished in ${(durationMs / 1000).toFixed(1)} s`);
      expect(r.exitCode, r.stdout + r.stderr).toBe(0);
      const out = r.json();
      expect(out.report).toMatchObject({ state: 'finished', greenLevel: 'merge_ready', landed: true, failureClass: null });
      expect(out.report.provider).toMatchObject({ name: 'scripted', scripted: true });
      expect(out.webUi).toContain(`/workflows/lane-${out.report.laneId}`);

      // The fixture repo's main has exactly one merge: the lane's, with its trailers.
      const git = async (...args: string[]) => (await execa('git', args, { cwd: out.repo })).stdout;
      const merges = (await git('rev-list', '--merges', 'main')).split('\n').filter(Boolean);
      expect(merges).toEqual([out.report.mergeCommit]);
      expect((await git('log', '-1', '--format=%(trailers:key=Lane-Step,valueonly)', 'main')).trim()).toBe('land');
      expect(await git('show', 'main:src/math.js')).toContain('export function multiply');
      // Must not: use the user's real ~/.lanes, or leave the demo lane's worktree behind.
      expect(out.repo.startsWith(home)).toBe(true);
      expect(out.report.worktreePath.startsWith(home)).toBe(true);
      expect(existsSync(out.report.worktreePath)).toBe(false);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
