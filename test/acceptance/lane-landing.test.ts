// The lane, end to end (issue 3): a packet submitted through the built `lanes` CLI
// runs on a `lanes worker` child process against the run's dev server, with the mock
// model over HTTP and a real git repo; the lane lands exactly one tested merge.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALCULATOR_FIX, type FixtureRepo } from '../../src/demo/fixture-repo.js';
import { LaneReportSchema } from '../../src/workflows/lane/report.js';
import { LANES_BIN } from '../support/cli.js';
import { eventsFile, expectWellFormedEvents, laneDir, mergeCount, type MockTurn, readJsonFile, trailersOf, worktreeDir } from '../support/lane-assertions.js';
import { type LaneStack, mockPacket, startLaneStack } from '../support/lane-stack.js';

/** Reads, fixes with edit_file, ends with text: the anthropic-path agent. */
const EDIT_FIX: MockTurn[] = [
  { text: 'Reading the module.', toolCalls: [{ name: 'read_file', input: { path: 'src/math.js' } }] },
  {
    text: 'Adding multiply.',
    toolCalls: [{ name: 'edit_file', input: { path: 'src/math.js', old_string: '  return a + b;\n}\n', new_string: '  return a + b;\n}\n\nexport function multiply(a, b) {\n  return a * b;\n}\n' } }],
  },
  { text: 'Added multiply(a, b); done.' },
];

/** Reads, rewrites the file with write_file, ends with text: the openai-path agent. */
const WRITE_FIX: MockTurn[] = [
  { toolCalls: [{ name: 'read_file', input: { path: 'src/math.js' } }] },
  { toolCalls: [{ name: 'write_file', input: { path: 'src/math.js', content: CALCULATOR_FIX } }] },
  { text: 'Rewrote src/math.js with multiply.' },
];

/** An agent that changes nothing: the tests stay red. */
const IDLE: MockTurn[] = [{ text: 'Nothing to change, I think.' }];

let stack: LaneStack;

beforeAll(async () => {
  stack = await startLaneStack();
  stack.mock.script('land-edit', EDIT_FIX);
  stack.mock.script('land-write', WRITE_FIX);
  stack.mock.script('land-idle', IDLE);
});

afterAll(async () => {
  await stack?.stop();
});

/** Asserts the whole landed state of a finished lane; returns its events. */
async function expectLanded(repo: FixtureRepo, laneId: string, report: any, baseHead: string) {
  expect(report.schema).toBe('lanes.report/v1');
  // The real report is exactly the shape schemas/lane-report.schema.json publishes.
  expect(LaneReportSchema.parse(report)).toEqual(report);
  expect(report.laneId).toBe(laneId);
  expect(report.state).toBe('finished');
  expect(report.greenLevel).toBe('merge_ready');
  expect(report.failureClass).toBeNull();
  expect(report.landed).toBe(true);
  expect(report.provider.scripted).toBe(false);

  // Exactly one merge commit on main, the lane's land commit, tested candidate now main's head.
  expect(await mergeCount(repo)).toBe(1);
  const mainHead = await repo.head();
  expect(report.mergeCommit).toBe(mainHead);
  expect((await repo.git('rev-list', '--merges', 'main')).trim()).toBe(mainHead);
  expect(await trailersOf(repo, mainHead)).toEqual({ laneId, step: 'land' });
  const parents = (await repo.git('log', '-1', '--format=%P', mainHead)).split(' ');
  expect(parents[0]).toBe(baseHead);
  // The fix is on main and the repo's own tests pass there.
  expect(await repo.git('show', 'main:src/math.js')).toContain('export function multiply(a, b)');

  // Every lane commit carries the lane trailers.
  expect(report.commits.length).toBeGreaterThan(0);
  for (const c of report.commits) {
    expect(await trailersOf(repo, c.sha)).toEqual({ laneId, step: c.step });
    await repo.git('merge-base', '--is-ancestor', c.sha, 'main');
  }
  // Every non-base commit reachable from main belongs to this lane (no stray commits).
  const added = (await repo.git('rev-list', `${baseHead}..main`)).split('\n').filter(Boolean);
  for (const sha of added) expect((await trailersOf(repo, sha)).laneId).toBe(laneId);

  // Closeout: the worktree folder is gone, and git no longer lists it.
  expect(existsSync(worktreeDir(stack, laneId))).toBe(false);
  expect(await repo.git('worktree', 'list', '--porcelain')).not.toContain(worktreeDir(stack, laneId));

  // Events: from the CLI and from events.jsonl, identical, gap-free, schema-valid, started..finished.
  const cli = await stack.cli(['events', laneId, '--json']);
  expect(cli.exitCode).toBe(0);
  const queried = expectWellFormedEvents(cli.json(), laneId);
  const onDisk = expectWellFormedEvents(eventsFile(stack, laneId), laneId);
  expect(onDisk).toEqual(queried);
  expect(queried[0]!.type).toBe('lane.started');
  expect(queried.at(-1)!.type).toBe('lane.finished');
  expect(queried.at(-1)!.state).toBe('finished');
  expect(report.events).toBe(queried.length);
  const types = queried.map((e) => e.type);
  for (const t of ['lane.ready', 'lane.prompt_accepted', 'lane.commit.created', 'lane.green', 'lane.merge.ready', 'lane.merged', 'lane.closeout']) expect(types).toContain(t);
  expect(types.indexOf('lane.merge.ready')).toBeLessThan(types.indexOf('lane.merged'));
  // Must not: a failure or a refusal on the happy path, or a second terminal event.
  expect(types).not.toContain('lane.failed');
  expect(types).not.toContain('lane.tool.refused');
  expect(types.filter((t) => t === 'lane.finished' || t === 'lane.failed')).toHaveLength(1);

  // report.json in the lane folder is the report the CLI printed.
  const onDiskReport = readJsonFile(join(laneDir(stack, laneId), 'report.json'));
  expect(onDiskReport).toEqual(report);
  return queried;
}

describe('lane landing', () => {
  let landed: { repo: FixtureRepo; file: string; laneId: string; head: string; requests: number } | undefined;

  it('a packet whose agent (anthropic wire) fixes the code finishes at merge_ready with exactly one merge commit', async () => {
    const repo = await stack.fixture('land-anthropic');
    const baseHead = await repo.head();
    const laneId = 'land-anthropic';
    const file = stack.writePacket(laneId, mockPacket(laneId, repo.path, 'land-edit'));

    const r = await stack.cli(['submit', file, '--wait', '--json']);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    const report = r.json();
    await expectLanded(repo, laneId, report, baseHead);
    expect(report.provider).toMatchObject({ name: 'anthropic', model: 'claude-sonnet-4-5', scripted: false });

    // The agent really talked to the mock over the Anthropic wire: one request per scripted turn.
    const reqs = stack.mock.requests.filter((q) => q.scenario === 'land-edit');
    expect(reqs.length).toBe(EDIT_FIX.length);
    expect(reqs.every((q) => q.vendor === 'anthropic' && q.status === 200)).toBe(true);
    expect(report.usage.turns).toBe(EDIT_FIX.length);
    landed = { repo, file, laneId, head: await repo.head(), requests: reqs.length };
  });

  it('a packet on the openai provider lands the same way over the OpenAI wire', async () => {
    const repo = await stack.fixture('land-openai');
    const baseHead = await repo.head();
    const laneId = 'land-openai';
    const file = stack.writePacket(laneId, mockPacket(laneId, repo.path, 'land-write', { agent: { provider: 'openai', model: 'gpt-4o-mini', maxTurns: 6 } }));

    const r = await stack.cli(['submit', file, '--wait', '--json']);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    const report = r.json();
    await expectLanded(repo, laneId, report, baseHead);
    expect(report.provider).toMatchObject({ name: 'openai', model: 'gpt-4o-mini', scripted: false });
    const reqs = stack.mock.requests.filter((q) => q.scenario === 'land-write');
    expect(reqs.length).toBe(WRITE_FIX.length);
    // Must not: any request of this lane going to the Anthropic endpoint.
    expect(reqs.every((q) => q.vendor === 'openai' && q.status === 200)).toBe(true);
  });

  it('resubmitting the same packet attaches to the same lane: no second lane, merge or model call', async () => {
    expect(landed, 'needs the landed lane of the first test').toBeDefined();
    const { repo, file, laneId, head, requests } = landed!;
    const before = await stack.client.workflow.getHandle(`lane-${laneId}`).describe();

    const again = await stack.cli(['submit', file, '--json']);
    expect(again.exitCode, again.stdout + again.stderr).toBe(0);
    expect(again.json()).toMatchObject({ laneId, workflowId: `lane-${laneId}`, runId: before.runId, attached: true });

    // --wait on the attached lane returns the same finished report.
    const waited = await stack.cli(['submit', file, '--wait', '--json']);
    expect(waited.exitCode).toBe(0);
    expect(waited.json()).toMatchObject({ laneId, state: 'finished', mergeCommit: head });

    // Must not: a second run, a moved target, a second merge, another model call.
    const runs: string[] = [];
    for await (const wf of stack.client.workflow.list({ query: `WorkflowId = 'lane-${laneId}'` })) runs.push(wf.runId);
    expect(runs).toEqual([before.runId]);
    expect(await repo.head()).toBe(head);
    expect(await mergeCount(repo)).toBe(1);
    expect(stack.mock.requestCount('land-edit')).toBe(requests);
  });

  it('the same packet id with different content is refused with exit 2 and starts nothing', async () => {
    expect(landed, 'needs the landed lane of the first test').toBeDefined();
    const { repo, laneId, head, requests } = landed!;
    const before = await stack.client.workflow.getHandle(`lane-${laneId}`).describe();
    const changed = stack.writePacket(`${laneId}-changed`, mockPacket(laneId, repo.path, 'land-edit', { objective: 'Something else entirely. [[mock:land-edit]]' }));

    const r = await stack.cli(['submit', changed, '--wait', '--json']);
    expect(r.exitCode).toBe(2);
    const body = r.json();
    expect(body.error.code).toBe('conflict');
    expect(body.error.message).toContain(laneId);
    expect(body.error.message).toMatch(/different content/);
    expect(body.error.hint).toMatch(/new id/);

    // Must not: a new run, a model call, or any change to the target.
    const after = await stack.client.workflow.getHandle(`lane-${laneId}`).describe();
    expect(after.runId).toBe(before.runId);
    expect(stack.mock.requestCount('land-edit')).toBe(requests);
    expect(await repo.head()).toBe(head);
  });

  it('submit --follow --json streams JSON lines of events, then the report, and exits 0 when the lane finishes', async () => {
    const repo = await stack.fixture('land-follow');
    const baseHead = await repo.head();
    const laneId = 'land-follow';
    stack.mock.script('land-follow', EDIT_FIX);
    const file = stack.writePacket(laneId, mockPacket(laneId, repo.path, 'land-follow'));

    const proc = execa(process.execPath, [LANES_BIN, 'submit', file, '--follow', '--json'], { env: { ...process.env, ...stack.env }, reject: false, buffer: false });
    const chunks: { at: number; text: string }[] = [];
    proc.stdout?.on('data', (d: Buffer) => chunks.push({ at: Date.now(), text: d.toString() }));
    const done = await proc;
    expect(done.exitCode).toBe(0);

    const lines = chunks.map((c) => c.text).join('').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ event: 'submitted', laneId, attached: false });
    const last = lines.at(-1);
    expect(last.event).toBe('report');
    await expectLanded(repo, laneId, last.report, baseHead);
    const streamed = expectWellFormedEvents(lines.slice(1, -1), laneId);
    expect(streamed.map((e) => e.type)).toEqual(eventsFile(stack, laneId).map((e) => e.type));
    // Streamed, not printed at the end: output arrived in several writes over time.
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.at(-1)!.at).toBeGreaterThan(chunks[0]!.at);
  });

  it('submit --follow exits 1 when the lane fails, and the failed lane does not merge', async () => {
    const repo = await stack.fixture('land-follow-red');
    const baseHead = await repo.head();
    const laneId = 'land-follow-red';
    // No recovery and a short operator window: red -> blocked -> failed (test) without anyone resolving.
    const file = stack.writePacket(laneId, mockPacket(laneId, repo.path, 'land-idle', { escalation: { recoveryAttempts: 0, timeoutMs: 1_500 } }));

    const r = await stack.cli(['submit', file, '--follow', '--json']);
    expect(r.exitCode, r.stderr).toBe(1);
    const lines = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ event: 'submitted', laneId });
    const report = lines.at(-1).report;
    expect(report).toMatchObject({ state: 'failed', failureClass: 'test', landed: false, mergeCommit: null });
    const events = expectWellFormedEvents(lines.slice(1, -1), laneId);
    expect(events.map((e) => e.type)).toContain('lane.blocked');
    expect(events.at(-1)).toMatchObject({ type: 'lane.failed', failureClass: 'test' });
    // Must not: move the target or create a merge.
    expect(await repo.head()).toBe(baseHead);
    expect(await mergeCount(repo)).toBe(0);
  });
});
