// The lane refuses what policy forbids (issue 3): red tests never merge (recover once,
// escalate, abort), tool calls that reach outside the worktree are refused and logged,
// and a blocked lane can be cancelled and still closes out. Real CLI, worker, git.
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALCULATOR_FIX } from '../../src/demo/fixture-repo.js';
import { eventsFile, expectWellFormedEvents, laneDir, mergeCount, type MockTurn, waitForStatus, worktreeDir } from '../support/lane-assertions.js';
import { type LaneStack, mockPacket, startLaneStack } from '../support/lane-stack.js';

/** An agent that changes nothing: the calculator tests stay red. */
const IDLE: MockTurn[] = [{ text: 'I looked and will not change anything.' }];

let stack: LaneStack;

beforeAll(async () => {
  stack = await startLaneStack();
  stack.mock.script('refuse-idle', IDLE);
});

afterAll(async () => {
  await stack?.stop();
});

/** Snapshot of every file under `dir` (path -> content or link target), to prove nothing changed. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else out[p] = readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
}

describe('lane refusals', () => {
  it('a lane whose tests stay red recovers once, escalates to blocked, and after --abort fails with class test without merging', async () => {
    const repo = await stack.fixture('red-abort');
    const baseHead = await repo.head();
    const laneId = 'red-abort';
    const file = stack.writePacket(laneId, mockPacket(laneId, repo.path, 'refuse-idle', { escalation: { recoveryAttempts: 1 } }));

    const sub = await stack.cli(['submit', file, '--json']);
    expect(sub.exitCode, sub.stdout + sub.stderr).toBe(0);
    expect(sub.json()).toMatchObject({ laneId, attached: false });

    const blocked = await waitForStatus(stack, laneId, (s) => s.phase === 'blocked');
    expect(blocked.workflowStatus).toBe('RUNNING');
    expect(blocked.blocker.class).toBe('test');
    expect(blocked.blocker.detail).toMatch(/still red after 1 recovery attempt/);
    expect(blocked.recommendedAction).toMatch(/lanes resolve <lane> --retry/);
    expect(blocked.greenLevel).toBe('none');
    // Must not: anything on the target while the lane waits for an operator.
    expect(await repo.head()).toBe(baseHead);

    const resolved = await stack.cli(['resolve', laneId, '--abort', '--note', 'tests stay red', '--json']);
    expect(resolved.exitCode, resolved.stdout).toBe(0);
    expect(resolved.json()).toMatchObject({ laneId, accepted: true, action: 'abort' });

    // Attaching with --wait (same packet) returns the failed report, exit 1.
    const waited = await stack.cli(['submit', file, '--wait', '--json']);
    expect(waited.exitCode).toBe(1);
    const report = waited.json();
    expect(report).toMatchObject({ laneId, state: 'failed', failureClass: 'test', landed: false, mergeCommit: null });

    const events = expectWellFormedEvents(eventsFile(stack, laneId), laneId);
    const types = events.map((e) => e.type);
    expect(types.filter((t) => t === 'lane.recovery.attempted')).toHaveLength(1);
    expect(types.filter((t) => t === 'lane.blocked')).toHaveLength(1);
    expect(types.filter((t) => t === 'lane.red').length).toBe(2);
    expect(events.at(-1)).toMatchObject({ type: 'lane.failed', state: 'failed', failureClass: 'test' });
    // The operator's decision and note are on the record.
    expect(events.find((e) => e.data.resolution === 'abort')?.detail).toContain('tests stay red');
    // Must not: a green event, a merge, any movement of the target, a leftover clean worktree.
    expect(types).not.toContain('lane.green');
    expect(types).not.toContain('lane.merge.ready');
    expect(types).not.toContain('lane.merged');
    expect(await repo.head()).toBe(baseHead);
    expect(await mergeCount(repo)).toBe(0);
    expect(existsSync(worktreeDir(stack, laneId))).toBe(false);
    // An abort is final: a later resolve is refused as a conflict (exit 2) rather than reviving the lane.
    const late = await stack.cli(['resolve', laneId, '--retry', '--json']);
    expect(late.exitCode).toBe(2);
    expect(late.json().error).toMatchObject({ code: 'conflict' });
    expect(late.json().error.message).toMatch(/has already ended \(workflow FAILED\)/);
  });

  it('tool calls that write outside the worktree (.., absolute path, committed symlink) are refused, logged, and change nothing outside', async () => {
    const outside = join(stack.untrustedDir, 'outside-target');
    mkdirSync(outside, { recursive: true });
    const sentinel = join(outside, 'sentinel.txt');
    writeFileSync(sentinel, 'untouched\n');
    const before = snapshot(outside);

    const repo = await stack.fixture('escape');
    // A symlink committed in the repo that points outside it: the worktree gets it too.
    symlinkSync(outside, join(repo.path, 'escape-link'));
    await repo.git('add', 'escape-link');
    await repo.git('commit', '-q', '-m', 'add a symlink pointing outside the repo');
    const baseHead = await repo.head();
    const laneId = 'escape';
    const worktreesRoot = join(stack.home, 'worktrees');
    stack.mock.script('escape', [
      {
        text: 'Trying to write outside.',
        toolCalls: [
          { name: 'write_file', input: { path: '../outside.txt', content: 'escaped\n' } },
          { name: 'write_file', input: { path: sentinel, content: 'overwritten by an absolute path\n' } },
          { name: 'write_file', input: { path: 'escape-link/sentinel.txt', content: 'overwritten through a symlink\n' } },
          { name: 'edit_file', input: { path: 'escape-link/sentinel.txt', old_string: 'untouched', new_string: 'edited through a symlink' } },
        ],
      },
      { text: 'Doing the real work.', toolCalls: [{ name: 'write_file', input: { path: 'src/math.js', content: CALCULATOR_FIX } }] },
      { text: 'Done.' },
    ]);
    const file = stack.writePacket(laneId, mockPacket(laneId, repo.path, 'escape'));

    const r = await stack.cli(['submit', file, '--wait', '--json']);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.json()).toMatchObject({ state: 'finished', landed: true });

    // Logged: one refusals.jsonl line and one lane.tool.refused event per escaping call.
    const refusals = readFileSync(join(laneDir(stack, laneId), 'refusals.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    expect(refusals).toHaveLength(4);
    expect(refusals.map((x) => x.tool)).toEqual(['write_file', 'write_file', 'write_file', 'edit_file']);
    for (const x of refusals) expect(x).toMatchObject({ laneId, turn: 1, class: 'workspace_mismatch' });
    expect(refusals[0].reason).toMatch(/\.\./);
    expect(refusals[1].reason).toMatch(/absolute/);
    expect(refusals[2].reason).toMatch(/symbolic link/);
    const events = expectWellFormedEvents(eventsFile(stack, laneId), laneId);
    const refused = events.filter((e) => e.type === 'lane.tool.refused');
    expect(refused).toHaveLength(4);
    for (const e of refused) expect(e.failureClass).toBe('workspace_mismatch');

    // Must not: any file outside the worktree created or changed.
    expect(snapshot(outside)).toEqual(before);
    expect(readFileSync(sentinel, 'utf8')).toBe('untouched\n');
    expect(existsSync(join(worktreesRoot, 'outside.txt'))).toBe(false);
    expect(existsSync(join(stack.home, 'outside.txt'))).toBe(false);
    // The legitimate change landed; the symlink itself is unchanged on main.
    expect(await repo.git('show', 'main:src/math.js')).toBe(CALCULATOR_FIX.trimEnd());
    expect((await repo.git('ls-tree', 'main', 'escape-link')).startsWith('120000')).toBe(true);
    expect(await repo.git('rev-list', '--count', `${baseHead}..main`)).not.toBe('0');
  });

  it('lanes cancel on a lane waiting in blocked ends it Canceled, records cancelled + failed, removes the clean worktree, leaves the target alone', async () => {
    const repo = await stack.fixture('cancel-blocked');
    const baseHead = await repo.head();
    const laneId = 'cancel-blocked';
    const file = stack.writePacket(laneId, mockPacket(laneId, repo.path, 'refuse-idle', { escalation: { recoveryAttempts: 0 } }));

    expect((await stack.cli(['submit', file, '--json'])).exitCode).toBe(0);
    const blocked = await waitForStatus(stack, laneId, (s) => s.phase === 'blocked');
    expect(blocked.blocker.class).toBe('test');
    expect(existsSync(worktreeDir(stack, laneId))).toBe(true);

    const c = await stack.cli(['cancel', laneId, '--json']);
    expect(c.exitCode, c.stdout).toBe(0);
    expect(c.json()).toMatchObject({ laneId, cancelRequested: true });

    const waited = await stack.cli(['submit', file, '--wait', '--json']);
    expect(waited.exitCode).toBe(1);
    // --wait --json is JSON Lines: a blocked announcement may come first (the lane was still
    // blocked while the cancel was being delivered); every line is one document, the last the end.
    const lines = waited.jsonLines();
    expect(lines.slice(0, -1).every((l) => l.event === 'blocked'), waited.stdout).toBe(true);
    expect(lines.at(-1)).toMatchObject({ laneId, state: 'failed', failureClass: 'cancelled', landed: false });

    const desc = await stack.client.workflow.getHandle(`lane-${laneId}`).describe();
    expect(desc.status.name).toBe('CANCELLED');
    const events = expectWellFormedEvents(eventsFile(stack, laneId), laneId);
    const types = events.map((e) => e.type);
    expect(events.find((e) => e.type === 'lane.cancelled')?.failureClass).toBe('cancelled');
    expect(events.at(-1)).toMatchObject({ type: 'lane.failed', failureClass: 'cancelled' });
    expect(types.indexOf('lane.cancelled')).toBeLessThan(types.indexOf('lane.closeout'));
    expect(events.find((e) => e.type === 'lane.closeout')?.data.worktreeRemoved).toBe(true);
    // Must not: a worktree left behind, a merge, a moved target, a recovery (recoveryAttempts 0).
    expect(existsSync(worktreeDir(stack, laneId))).toBe(false);
    expect(await repo.head()).toBe(baseHead);
    expect(await mergeCount(repo)).toBe(0);
    expect(types).not.toContain('lane.recovery.attempted');
    expect(types).not.toContain('lane.merged');
    // A second cancel is refused as a conflict naming the closed lane, not a raw server error.
    const again = await stack.cli(['cancel', laneId, '--json']);
    expect(again.exitCode).toBe(2);
    expect(again.json().error.message).toMatch(/has already ended \(workflow CANCELLED\)/);
  });
});
