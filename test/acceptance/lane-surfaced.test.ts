// What a running lane tells its user (issue 10): worker-side failures arrive with their
// own cause and hint (never "Activity task failed"), a block is announced the moment it
// happens with the exact next command, tests show up live, a dirty target blocks until
// the user commits or stashes, a lane's own earlier branch resumes and every landed
// commit is reported, and cancel stops the test processes it started. Real CLI, worker, git.
import { existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizePacket } from '../../src/client/lanes.js';
import { packetFingerprint } from '../../src/packet/fingerprint.js';
import { loadPacketFile } from '../../src/packet/parse.js';
import { CALCULATOR_FIX } from '../../src/demo/fixture-repo.js';
import { eventsFile, expectWellFormedEvents, type MockTurn, waitForStatus, worktreeDir } from '../support/lane-assertions.js';
import { type LaneStack, mockPacket, startLaneStack } from '../support/lane-stack.js';
import { laneIdOf, mistakePacket, REPO_MISTAKES } from '../support/repo-mistakes.js';
import { isRunningSoon } from '../support/processes.js';

const FIX: MockTurn[] = [
  { text: 'Adding multiply.', toolCalls: [{ name: 'write_file', input: { path: 'src/math.js', content: CALCULATOR_FIX } }] },
  { text: 'Done.' },
];
const IDLE: MockTurn[] = [{ text: 'I will not change anything.' }];

let stack: LaneStack;

beforeAll(async () => {
  stack = await startLaneStack();
  stack.mock.script('surf-fix', FIX);
  stack.mock.script('surf-idle', IDLE);
});

afterAll(async () => {
  await stack?.stop();
});

/**
 * Starts the lane straight on Temporal, as the CLI would but without its client-side
 * preflight, so the host's own checks are what the user sees.
 */
async function startBypassingPreflight(file: string): Promise<string> {
  const { packet } = await loadPacketFile(file);
  const lane = normalizePacket(packet, join(file, '..'));
  await stack.client.workflow.start('laneWorkflow', {
    taskQueue: stack.taskQueue,
    workflowId: `lane-${lane.id}`,
    args: [{ laneId: lane.id, packet: lane, fingerprint: packetFingerprint(lane) }],
    memo: { fingerprint: packetFingerprint(lane), packetId: lane.id },
  });
  return lane.id;
}

describe('worker errors surfaced', () => {
  it.each(REPO_MISTAKES.map((m) => [m.label, m] as const))('%s fails the lane with its own message and hint in the report, the lane.failed event and submit --wait', async (label, mistake) => {
    const laneId = laneIdOf('surf', label);
    const { message, hint } = mistake;
    const file = stack.writePacket(laneId, mistakePacket(mistake, laneId, await mistake.make(stack, laneId), 'surf-idle'));
    await startBypassingPreflight(file);

    // Attaching with --wait (same packet, same fingerprint) prints the failed report.
    const waited = await stack.cli(['submit', file, '--wait', '--json']);
    expect(waited.exitCode, waited.stdout + waited.stderr).toBe(1);
    const report = waited.json();
    expect(report).toMatchObject({ laneId, state: 'failed', failureClass: 'validator', landed: false });
    expect(report.detail).toMatch(message);
    expect(report.hint).toMatch(hint);
    const text = await stack.cli(['submit', file, '--wait']);
    expect(text.stdout).toMatch(message);
    expect(text.stdout).toMatch(/hint: /);

    const events = expectWellFormedEvents(eventsFile(stack, laneId), laneId);
    const failed = events.at(-1)!;
    expect(failed).toMatchObject({ type: 'lane.failed', failureClass: 'validator' });
    expect(failed.detail).toMatch(message);
    expect(failed.data.hint).toMatch(hint);
    // Must NOT: Temporal's wrapper words anywhere a user reads; a worktree or a model turn.
    for (const t of [waited.stdout, text.stdout, JSON.stringify(events)]) expect(t).not.toMatch(/Activity task failed|Workflow execution failed/);
    expect(events.map((e) => e.type)).not.toContain('lane.ready');
    expect(existsSync(worktreeDir(stack, laneId))).toBe(false);
  });
});

describe('blocked is announced', () => {
  it('submit --wait prints the blocker and the exact next command at once and keeps waiting; --exit-on-blocked exits 3', async () => {
    const repo = await stack.fixture('surf-block');
    const laneId = 'surf-block';
    const file = stack.writePacket(laneId, mockPacket(laneId, repo.path, 'surf-idle', { escalation: { recoveryAttempts: 0 } }));

    const early = await stack.cli(['submit', file, '--wait', '--exit-on-blocked', '--json'], { timeoutMs: 180_000 });
    expect(early.exitCode, early.stdout + early.stderr).toBe(3);
    const lines = early.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.at(-1)).toMatchObject({ event: 'blocked', laneId, state: 'blocked', failureClass: 'test' });
    expect(lines.at(-1).next).toContain(`lanes resolve ${laneId} --retry`);
    // Must NOT: a placeholder instead of the lane id.
    expect(lines.at(-1).next).not.toContain('<lane>');

    // Without --exit-on-blocked: announced, still waiting; the report comes after the operator acts.
    const waiting = execa(process.execPath, [join(import.meta.dirname, '../../bin/lanes.js'), 'submit', file, '--wait'], { env: { ...process.env, ...stack.env }, reject: false });
    let out = '';
    waiting.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + 60_000;
    while (!out.includes('BLOCKED') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(out).toContain(`lane ${laneId} is BLOCKED [test]`);
    expect(out).toContain(`next: inspect the failing test log in the lane folder, then \`lanes resolve ${laneId} --retry\``);
    expect(waiting.exitCode).toBeNull();
    expect((await stack.cli(['resolve', laneId, '--abort'])).exitCode).toBe(0);
    const done = await waiting;
    expect(done.exitCode).toBe(1);
    expect(out).toMatch(/lane surf-block: failed at green level none \(test\)/);

    // --follow showed the tests live: started with command names, finished with durations.
    const events = expectWellFormedEvents(eventsFile(stack, laneId), laneId);
    const started = events.find((e) => e.type === 'lane.tests.started')!;
    const finished = events.find((e) => e.type === 'lane.tests.finished')!;
    expect(started.data).toMatchObject({ level: 'targeted', commands: ['node --test test/'] });
    expect(finished.data).toMatchObject({ level: 'targeted', passed: false });
    expect((finished.data.commands as { name: string; durationMs: number }[])[0]).toMatchObject({ name: 'node --test test/', exitCode: 1 });
    expect(typeof (finished.data.commands as { durationMs: number }[])[0]!.durationMs).toBe('number');
    expect(finished.detail).toMatch(/targeted tests finished in [\d.]+ s: node --test test\/ exit 1/);
    expect(started.seq).toBeLessThan(finished.seq);
  }, 240_000);
});

describe('recoverable target problems block', () => {
  it('a dirty target checkout blocks with the fix; after the user stashes, --retry lands and nothing of theirs is lost', { timeout: 300_000 }, async () => {
    const repo = await stack.fixture('surf-dirty');
    const laneId = 'surf-dirty';
    const baseHead = await repo.head();
    writeFileSync(join(repo.path, 'README.md'), '# calculator\n\nlocal edit, not committed\n');
    const file = stack.writePacket(laneId, mockPacket(laneId, repo.path, 'surf-fix'));
    expect((await stack.cli(['submit', file, '--json'])).exitCode).toBe(0);

    const blocked = await waitForStatus(stack, laneId, (s) => s.phase === 'blocked' || s.phase === 'failed', 180_000);
    expect(blocked.phase).toBe('blocked');
    expect(blocked.blocker.class).toBe('workspace_mismatch');
    expect(blocked.blocker.detail).toContain(`${repo.path} has uncommitted changes (README.md)`);
    expect(blocked.recommendedAction).toBe(`commit or stash the changes in ${repo.path}, then \`lanes resolve ${laneId} --retry\``);
    // Must NOT: the target moved over the user's edit, or the edit touched.
    expect(await repo.head()).toBe(baseHead);
    expect(readFileSync(join(repo.path, 'README.md'), 'utf8')).toContain('local edit');

    await repo.git('stash');
    expect((await stack.cli(['resolve', laneId, '--retry'])).exitCode).toBe(0);
    const waited = await stack.cli(['submit', file, '--wait', '--json'], { timeoutMs: 180_000 });
    expect(waited.exitCode, waited.stdout).toBe(0);
    expect(waited.json()).toMatchObject({ state: 'finished', landed: true });
    expect(await repo.git('stash', 'list')).toMatch(/stash@\{0\}/);
  });
});

describe("a lane's own branch and the landed commits", () => {
  it('a branch kept from an earlier run of the same lane id (Lane-Id trailers) resumes; the report lists every commit that landed; closeout deletes it', async () => {
    const repo = await stack.fixture('surf-own');
    const laneId = 'surf-own';
    await repo.git('switch', '-q', '-c', `lanes/${laneId}`);
    writeFileSync(join(repo.path, 'src/math.js'), CALCULATOR_FIX);
    await repo.git('add', '-A');
    await repo.git('commit', '-q', '-m', `earlier run\n\nLane-Id: ${laneId}\nLane-Step: work-1`);
    const earlier = await repo.head(`lanes/${laneId}`);
    await repo.git('switch', '-q', 'main');
    const file = stack.writePacket(laneId, mockPacket(laneId, repo.path, 'surf-idle'));

    const r = await stack.cli(['submit', file, '--wait', '--json'], { timeoutMs: 180_000 });
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    const report = r.json();
    expect(report).toMatchObject({ state: 'finished', landed: true });
    const landed = report.landedCommits.map((c: { sha: string }) => c.sha);
    expect(landed).toContain(earlier);
    expect(landed).toContain(report.mergeCommit);
    expect(await repo.git('rev-list', '--count', `${report.mergeCommit}`)).toBe(String(1 + landed.length));
    expect(await repo.git('branch', '--list', `lanes/${laneId}`)).toBe('');
  });
});

describe('cancel stops everything it started', () => {
  it('lanes cancel during an acceptance command kills its process group before closeout reports', async () => {
    const repo = await stack.fixture('surf-cancel');
    const laneId = 'surf-cancel';
    const wt = worktreeDir(stack, laneId);
    const file = stack.writePacket(laneId, mockPacket(laneId, repo.path, 'surf-fix', { acceptance: { targeted: ['sleep 120 && echo lanes-cancel-probe'], requiredLevel: 'targeted', timeoutMs: 300_000 } }));
    expect((await stack.cli(['submit', file, '--json'])).exitCode).toBe(0);
    /** Live processes whose working directory is inside the lane worktree. */
    const inWorktree = () =>
      readdirSync('/proc')
        .filter((p) => /^\d+$/.test(p))
        .filter((p) => {
          try {
            return readlinkSync(`/proc/${p}/cwd`).startsWith(wt);
          } catch {
            return false;
          }
        })
        .map(Number);
    const deadline = Date.now() + 120_000;
    let running: number[] = [];
    while (Date.now() < deadline) {
      running = inWorktree().filter((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('sleep'));
      if (running.length > 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(running.length).toBeGreaterThan(0);

    expect((await stack.cli(['cancel', laneId])).exitCode).toBe(0);
    const waited = await stack.cli(['submit', file, '--wait', '--json'], { timeoutMs: 120_000 });
    expect(waited.json()).toMatchObject({ state: 'failed', failureClass: 'cancelled' });
    const closeout = eventsFile(stack, laneId).find((e) => e.type === 'lane.closeout')!;
    expect(closeout.data.worktreeRemoved).toBe(true);
    // Must NOT: the test command (or anything else) still running in the removed worktree.
    for (const pid of running) expect(await isRunningSoon(pid)).toBe(false);
    expect(inWorktree()).toEqual([]);
  }, 300_000);
});
