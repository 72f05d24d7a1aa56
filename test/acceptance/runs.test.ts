// Runs (issue 13), end to end through the built CLI on a `lanes worker` child process and
// real git: scheduling by locks and dependencies, the integration branch gated by the doctor
// and its canary, and the Tier-0 rules (never integrate when a gate blocks).
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LaneStack, startLaneStack } from '../support/lane-stack.js';
import { basePlan, eventOf, interval, landedLanes, runEvents, runFixture, runPlan, writeTask } from '../support/run-assertions.js';

let stack: LaneStack;

beforeAll(async () => {
  stack = await startLaneStack();
});

afterAll(async () => {
  await stack?.stop();
});

const overlaps = (a: [number, number], b: [number, number]) => a[0] < b[1] && b[0] < a[1];

describe('lanes run: scheduling', () => {
  it('serializes conflicting writers and a read/write pair, overlaps disjoint tasks, runs a dependency chain in order, and lands every task once', async () => {
    const repo = await runFixture(stack, 'sched');
    const base = await repo.head();
    const plan = basePlan('sched', repo, [
      { id: 'a', packet: writeTask('notes/a.txt', 'ok a'), locks: { writes: ['notes-index'] } },
      { id: 'b', packet: writeTask('notes/b.txt', 'ok b'), locks: { writes: ['notes-index'] } },
      { id: 'c', packet: writeTask('notes/c.txt', 'ok c'), locks: { writes: ['notes/c.txt'] } },
      { id: 'r', packet: writeTask('notes/r.txt', 'ok r'), locks: { reads: ['notes-index'] } },
      { id: 'd', packet: writeTask('notes/d.txt', 'ok d'), dependsOn: ['c'] },
    ]);
    const { exitCode, report } = await runPlan(stack, 'sched-plan', plan);
    expect(report.state, report.detail).toBe('finished');
    expect(exitCode).toBe(0);
    expect(report.tasks.map((t) => [t.taskId, t.status, t.batch])).toEqual([
      ['a', 'landed', 1],
      ['b', 'landed', 2],
      ['c', 'landed', 1],
      ['r', 'landed', 3],
      ['d', 'landed', 2],
    ]);

    const events = runEvents(stack, 'sched');
    const [a, b, c, r, d] = ['a', 'b', 'c', 'r', 'd'].map((id) => interval(events, id)) as [number, number][];
    // Disjoint tasks ran at the same time; conflicting ones never did.
    expect(overlaps(a!, c!)).toBe(true);
    expect(overlaps(a!, b!)).toBe(false);
    expect(a![1]).toBeLessThanOrEqual(b![0]);
    expect(overlaps(b!, r!)).toBe(false);
    expect(overlaps(a!, r!)).toBe(false);
    // The chain: d starts only after c landed.
    expect(c![1]).toBeLessThanOrEqual(d![0]);
    expect(events.map((e) => e.type)).toContain('canary.failed_as_expected');
    expect(events.filter((e) => e.type === 'doctor.passed')).toHaveLength(3);
    expect(events.at(-1)!.type).toBe('run.finished');

    // The target moved only by fast-forward, to the doctor-tested integration head.
    expect(report.advanced).toBe(true);
    expect(await repo.head('main')).toBe(await repo.head('lanes-run/sched'));
    await repo.git('merge-base', '--is-ancestor', base, 'main');
    // Every lane landed exactly once on the integration branch, and nothing else did.
    const landed = await landedLanes(repo, 'main');
    expect([...landed].sort()).toEqual(['sched.a', 'sched.b', 'sched.c', 'sched.d', 'sched.r']);
    // Lanes carry the run id for the Web UI.
    const lane = await stack.client.workflow.getHandle('lane-sched.a').describe();
    expect(lane.typedSearchAttributes.getAll().find((p) => p.key.name === 'LaneRunId')?.value).toBe('sched');
    expect(existsSync(join(stack.home, 'runs', 'sched', 'report.json'))).toBe(true);
    // Three batches of lanes plus a doctor each: minutes on a loaded 2-core machine.
  }, 300_000);

  it('lanes board shows the run: a JSON snapshot for automation, plain lines when not on a TTY', async () => {
    const json = await stack.cli(['--json', 'board', '--run', 'sched']);
    expect(json.exitCode, json.stderr).toBe(0);
    const board = json.json();
    expect(board).toMatchObject({ runId: 'sched', state: 'finished', integrationBranch: 'lanes-run/sched' });
    expect(board.rows.map((r: any) => [r.taskId, r.status, r.greenLevel])).toEqual(['a', 'b', 'c', 'r', 'd'].map((id) => [id, 'landed', 'merge_ready']));
    for (const r of board.rows) {
      expect(r.tokens).toBeGreaterThan(0);
      expect(r.elapsedMs).toBeGreaterThan(0);
      expect(r.blocker).toBeNull();
    }
    const plain = await stack.cli(['board', '--run', 'sched', '--interval-ms', '100']);
    expect(plain.exitCode, plain.stderr).toBe(0);
    const lines = plain.stdout.trim().split('\n');
    // No terminal control sequences off a TTY: one line per task, then the outcome.
    expect(plain.stdout).not.toContain('\x1b[');
    expect(lines).toHaveLength(6);
    expect(lines.at(-1)).toMatch(/^run sched: finished/);
  });

  it('refuses a cycle before anything starts: exit 2 with the field path, no workflow, no branch', async () => {
    const repo = await runFixture(stack, 'cycle');
    const plan = basePlan('cycle', repo, [
      { id: 'x', packet: writeTask('notes/x.txt', 'ok'), dependsOn: ['y'] },
      { id: 'y', packet: writeTask('notes/y.txt', 'ok'), dependsOn: ['x'] },
    ]);
    const file = stack.writePacket('cycle-plan', plan);
    const r = await stack.cli(['--json', 'run', file, '--wait']);
    expect(r.exitCode).toBe(2);
    expect(r.json().error.message).toMatch(/tasks\[0\]\.dependsOn: dependency cycle: x -> y -> x/);
    await expect(stack.client.workflow.getHandle('run-cycle').describe()).rejects.toThrow(/not found/i);
    expect(await repo.git('branch', '--list', 'lanes-run/*')).toBe('');
  });
});

describe('lanes run: Tier-0 gates never integrate', () => {
  it('budget block: the lane stops at the run limit, budget.block at run level, integration head and target unchanged', async () => {
    const repo = await runFixture(stack, 'budget');
    const base = await repo.head();
    const plan = basePlan('budget', repo, [{ id: 'big', packet: writeTask('notes/big.txt', 'ok') }], { budget: { tokens: 1, mode: 'block' } });
    const { exitCode, report } = await runPlan(stack, 'budget-plan', plan);
    expect(exitCode).toBe(1);
    expect(report.state).toBe('failed');
    expect(report.failureClass).toBe('budget');
    expect(report.tasks[0]).toMatchObject({ status: 'failed', failureClass: 'budget' });
    const events = runEvents(stack, 'budget');
    const block = events.find((e) => e.type === 'budget.block');
    expect(block?.failureClass).toBe('budget');
    expect(events.map((e) => e.type)).not.toContain('integration.advanced');
    expect(events.map((e) => e.type)).not.toContain('task.landed');
    expect(await repo.head('lanes-run/budget')).toBe(base);
    expect(await repo.head('main')).toBe(base);
  });

  it('a lane blocked by manifest or review never integrates; only its dependents are skipped; the rest lands', async () => {
    const repo = await runFixture(stack, 'gates');
    const plan = basePlan('gates', repo, [
      { id: 'good', packet: writeTask('notes/good.txt', 'ok good') },
      { id: 'scoped', packet: writeTask('notes/scoped.txt', 'ok scoped', { scope: { writeManifest: ['docs/**'] }, agent: { provider: 'scripted', model: 'script', script: [{ toolCalls: [{ name: 'bash', input: { command: 'echo ok > notes/scoped.txt' } }] }, { text: 'done' }] } }) },
      { id: 'review', packet: writeTask('notes/review.txt', 'ok review', { merge: { requireReview: true } }) },
      { id: 'after', packet: writeTask('notes/after.txt', 'ok after'), dependsOn: ['scoped'] },
    ]);
    const { exitCode, report } = await runPlan(stack, 'gates-plan', plan);
    expect(exitCode).toBe(1);
    const byId = Object.fromEntries(report.tasks.map((t) => [t.taskId, t]));
    expect(byId.good!.status).toBe('landed');
    expect(byId.scoped).toMatchObject({ status: 'failed', failureClass: 'manifest' });
    expect(byId.review).toMatchObject({ status: 'failed', failureClass: 'review' });
    expect(byId.after).toMatchObject({ status: 'skipped', reason: 'dependency scoped failed' });
    // Nothing of the blocked lanes is on the integration branch or the target.
    const landed = await landedLanes(repo, 'lanes-run/gates');
    expect(landed).toEqual(['gates.good']);
    expect(await repo.git('ls-tree', '-r', '--name-only', 'main')).not.toMatch(/scoped|review|after/);
    expect(await repo.git('show', 'main:notes/good.txt')).toBe('ok good');
    expect(report.advanced).toBe(true);
    const events = runEvents(stack, 'gates');
    expect(eventOf(events, 'task.skipped', 'after').detail).toContain('dependency scoped failed');
    expect(events.find((e) => e.type === 'task.started' && e.taskId === 'after')).toBeUndefined();
  });

  it('doctor red: the target stays where it was, the run fails with class test', async () => {
    const repo = await runFixture(stack, 'doctor');
    const base = await repo.head();
    const plan = basePlan('doctor', repo, [{ id: 'bad', packet: writeTask('notes/bad.txt', 'bad') }, { id: 'later', packet: writeTask('notes/later.txt', 'ok'), dependsOn: ['bad'] }]);
    const { exitCode, report } = await runPlan(stack, 'doctor-plan', plan);
    expect(exitCode).toBe(1);
    expect(report).toMatchObject({ state: 'failed', failureClass: 'test', advanced: false });
    // The lane itself landed on the integration branch; the target did not move.
    expect(await landedLanes(repo, 'lanes-run/doctor')).toEqual(['doctor.bad']);
    expect(await repo.head('main')).toBe(base);
    const events = runEvents(stack, 'doctor');
    expect(events.map((e) => e.type)).toContain('doctor.failed');
    expect(events.map((e) => e.type)).not.toContain('integration.advanced');
    // Nothing starts on a red integration branch.
    expect(report.tasks[1]).toMatchObject({ status: 'skipped' });
    expect(events.find((e) => e.type === 'task.started' && e.taskId === 'later')).toBeUndefined();
  });

  it('a canary that passes: the run refuses to integrate (validator) and starts no lane', async () => {
    const repo = await runFixture(stack, 'canary');
    const base = await repo.head();
    const plan = basePlan('canary', repo, [{ id: 'a', packet: writeTask('notes/a.txt', 'ok') }], { doctor: { commands: ['true'] } });
    const { exitCode, report } = await runPlan(stack, 'canary-plan', plan);
    expect(exitCode).toBe(1);
    expect(report).toMatchObject({ state: 'failed', failureClass: 'validator', advanced: false });
    expect(report.gate?.detail).toMatch(/LANES_CANARY=1/);
    const events = runEvents(stack, 'canary');
    expect(events.find((e) => e.type === 'canary.passed')?.failureClass).toBe('validator');
    expect(events.map((e) => e.type)).not.toContain('task.started');
    expect(await repo.head('main')).toBe(base);
    expect(await repo.head('lanes-run/canary')).toBe(base);
  });

  it('a merge conflict between two lanes never lands partially: one lands, the other blocks with merge_conflict', async () => {
    const repo = await runFixture(stack, 'conflict');
    const plan = basePlan('conflict', repo, [
      { id: 'left', packet: writeTask('notes/same.txt', 'ok left') },
      { id: 'right', packet: writeTask('notes/same.txt', 'ok right') },
    ]);
    const { exitCode, report } = await runPlan(stack, 'conflict-plan', plan);
    expect(exitCode).toBe(1);
    const statuses = report.tasks.map((t) => t.status).sort();
    expect(statuses).toEqual(['failed', 'landed']);
    const loser = report.tasks.find((t) => t.status === 'failed')!;
    const winner = report.tasks.find((t) => t.status === 'landed')!;
    expect(loser.failureClass).toBe('merge_conflict');
    expect(await landedLanes(repo, 'lanes-run/conflict')).toEqual([winner.laneId]);
    const content = await repo.git('show', 'lanes-run/conflict:notes/same.txt');
    expect(content).toBe(`ok ${winner.taskId}`);
    expect(content).not.toMatch(/<<<<<<<|>>>>>>>/);
    // No candidate branch is left behind, and the loser's commits are not on the integration branch.
    expect(await repo.git('branch', '--list', 'lanes-candidate/*')).toBe('');
    const loserHead = await repo.head(`lanes/${loser.laneId}`);
    await expect(repo.git('merge-base', '--is-ancestor', loserHead, 'lanes-run/conflict')).rejects.toThrow();
  });
});

describe('lanes run resume', () => {
  it('after a cancel mid-run: landed tasks are reused (no new model requests), only the rest runs and lands', async () => {
    const repo = await runFixture(stack, 'resume');
    const base = await repo.head();
    stack.mock.script('run-resume-a', [{ toolCalls: [{ name: 'write_file', input: { path: 'notes/a.txt', content: 'ok a\n' } }] }, { text: 'done' }]);
    const go = join(stack.reposDir, 'resume-go');
    const plan = basePlan('resume', repo, [
      {
        id: 'a',
        packet: {
          objective: 'write notes/a.txt [[mock:run-resume-a]]',
          acceptance: { targeted: ['test -f notes/a.txt'], requiredLevel: 'merge_ready', timeoutMs: 30_000 },
          agent: { provider: 'anthropic', model: 'claude-sonnet-4-5', maxTurns: 4 },
        },
      },
      // b waits (in its acceptance command) until the test lets it go: the run is cancelled meanwhile.
      { id: 'b', packet: writeTask('notes/b.txt', 'ok b', { acceptance: { targeted: [`while [ ! -f ${go} ]; do sleep 0.2; done; test -f notes/b.txt`], requiredLevel: 'merge_ready', timeoutMs: 120_000 } }), dependsOn: ['a'] },
    ]);
    const file = stack.writePacket('resume-plan', plan);
    const started = await stack.cli(['--json', 'run', file]);
    expect(started.exitCode, started.stderr).toBe(0);
    expect(started.json()).toMatchObject({ runId: 'resume', attached: false });

    const deadline = Date.now() + 120_000;
    for (;;) {
      const st = (await stack.cli(['--json', 'run', 'status', 'resume'])).json();
      if (st.tasks?.[0]?.status === 'landed' && st.tasks[1].status === 'running') break;
      if (Date.now() > deadline) throw new Error(`run never reached a landed, b running: ${JSON.stringify(st)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    // Starting the same plan again attaches instead of starting a second run.
    expect((await stack.cli(['--json', 'run', file])).json()).toMatchObject({ runId: 'resume', attached: true });
    const cancel = await stack.cli(['--json', 'run', 'cancel', 'resume']);
    expect(cancel.exitCode, cancel.stderr).toBe(0);
    const aRequests = stack.mock.requestCount('run-resume-a');
    expect(aRequests).toBeGreaterThan(0);

    let cancelled: any;
    for (;;) {
      cancelled = (await stack.cli(['--json', 'run', 'status', 'resume'])).json();
      if (cancelled.state === 'cancelled') break;
      if (Date.now() > deadline) throw new Error(`run never ended after cancel: ${JSON.stringify(cancelled)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(cancelled.tasks.map((t: any) => t.status)).toEqual(['landed', 'failed']);
    // Only a's land commit is on the integration branch; b never landed.
    expect(await landedLanes(repo, 'lanes-run/resume')).toEqual(['resume.a']);

    writeFileSync(go, '');
    const resumed = await stack.cli(['--json', 'run', 'resume', 'resume', '--wait'], { timeoutMs: 300_000 });
    const report = resumed.json();
    expect(report.state, `${resumed.stdout}\n${resumed.stderr}`).toBe('finished');
    expect(resumed.exitCode).toBe(0);
    expect(report).toMatchObject({ runId: 'resume-r2', resumedFrom: 'resume' });
    expect(report.tasks.map((t: any) => [t.taskId, t.status, t.laneId])).toEqual([
      ['a', 'reused', 'resume.a'],
      ['b', 'landed', 'resume-r2.b'],
    ]);
    // Nothing finished is redone: no model request for a, no second lane for it.
    expect(stack.mock.requestCount('run-resume-a')).toBe(aRequests);
    await expect(stack.client.workflow.getHandle('lane-resume-r2.a').describe()).rejects.toThrow(/not found/i);
    const landed = await landedLanes(repo, 'main');
    expect([...landed].sort()).toEqual(['resume-r2.b', 'resume.a']);
    await repo.git('merge-base', '--is-ancestor', base, 'main');
    const events = runEvents(stack, 'resume-r2');
    expect(eventOf(events, 'task.reused', 'a').detail).toContain('already landed in resume');
    expect(events.find((e) => e.type === 'task.started' && e.taskId === 'a')).toBeUndefined();
  });
});
