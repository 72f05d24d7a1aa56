// Steering a running lane (issue 16): `lanes send` reaches the agent's next turn, `lanes wait`
// returns on blocked / finished / timeout / an ended lane. Real dev server, worker, mock model.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALCULATOR_FIX } from '../../src/demo/fixture-repo.js';
import { eventsFile, expectWellFormedEvents, laneDir } from '../support/lane-assertions.js';
import { type LaneStack, mockPacket, startLaneStack } from '../support/lane-stack.js';

let stack: LaneStack;

beforeAll(async () => {
  stack = await startLaneStack();
});

afterAll(async () => {
  await stack?.stop();
});

/** The text of every message in a recorded request (Anthropic wire format). */
const requestText = (body: unknown): string => JSON.stringify((body as { messages?: unknown }).messages ?? body);

/**
 * Submits a lane (id = scenario = fixture name) whose agent writes the fix, and whose first
 * targeted test passes only when the worker's environment has `envVar=1` (a packet secret):
 * red until the environment is fixed and the worker restarted with it.
 */
async function submitEnvGatedLane(laneId: string, envVar: string, escalation: { recoveryAttempts: number; timeoutMs?: number }) {
  const repo = await stack.fixture(laneId);
  stack.mock.script(laneId, [{ text: 'Fixing.', toolCalls: [{ name: 'write_file', input: { path: 'src/math.js', content: CALCULATOR_FIX } }] }, { text: 'Done.' }]);
  const targeted = [`node -e "process.exit(process.env.${envVar} === '1' ? 0 : 1)"`, 'node --test test/'];
  const packet = mockPacket(laneId, repo.path, laneId, { escalation, secrets: [envVar], acceptance: { targeted, requiredLevel: 'merge_ready', timeoutMs: 60_000 } });
  expect((await stack.cli(['submit', stack.writePacket(laneId, packet)])).exitCode).toBe(0);
  return repo;
}

describe('lanes send and lanes wait', () => {
  it('a message sent to a blocked lane reaches the next turn (the model request holds it); wait returns on blocked, on finished, and times out distinctly', async () => {
    const repo = await stack.fixture('steer-send');
    const laneId = 'steer-send';
    const marker = 'MSG-7731: the bug is in src/math.js, multiply is missing';
    stack.mock.script('steer-send', [
      { text: 'I looked and will not change anything yet.' },
      { text: 'Following the operator message.', toolCalls: [{ name: 'write_file', input: { path: 'src/math.js', content: CALCULATOR_FIX } }] },
      { text: 'Done.' },
    ]);
    const file = stack.writePacket(laneId, mockPacket(laneId, repo.path, 'steer-send', { escalation: { recoveryAttempts: 0 } }));
    expect((await stack.cli(['submit', file, '--json'])).exitCode).toBe(0);

    const blocked = await stack.cli(['wait', laneId, '--for', 'blocked', '--timeout', '90s', '--json'], { timeoutMs: 120_000 });
    expect(blocked.exitCode, blocked.stdout + blocked.stderr).toBe(0);
    expect(blocked.json()).toMatchObject({ laneId, for: 'blocked', reached: true, outcome: 'reached', state: 'blocked' });

    // A timeout is exit 1 with its own outcome and wording, not a hang and not "ended".
    const timedOut = await stack.cli(['wait', laneId, '--for', 'finished', '--timeout', '1s', '--json']);
    expect(timedOut.exitCode).toBe(1);
    expect(timedOut.json()).toMatchObject({ reached: false, outcome: 'timeout', state: 'blocked', workflowStatus: 'RUNNING' });
    const timedOutText = await stack.cli(['wait', laneId, '--for', 'finished', '--timeout', '500ms']);
    expect(timedOutText.exitCode).toBe(1);
    expect(timedOutText.stdout).toMatch(/^timed out after .* waiting for lane steer-send to reach finished; it is blocked/);

    const before = stack.mock.requests.filter((r) => r.scenario === 'steer-send').length;
    const sent = await stack.cli(['send', laneId, marker, '--json']);
    expect(sent.exitCode, sent.stdout + sent.stderr).toBe(0);
    expect(sent.json()).toMatchObject({ laneId, accepted: true, messageId: 'm1', queued: 1 });
    const status = await stack.cli(['status', laneId, '--json']);
    expect(status.json()).toMatchObject({ phase: 'blocked', queuedMessages: 1 });
    // Must not: the message reaching the model before the lane moves on.
    expect(stack.mock.requests.filter((r) => r.scenario === 'steer-send')).toHaveLength(before);

    expect((await stack.cli(['resolve', laneId, '--retry'])).exitCode).toBe(0);
    const finished = await stack.cli(['wait', laneId, '--for', 'finished', '--timeout', '90s', '--json'], { timeoutMs: 120_000 });
    expect(finished.exitCode, finished.stdout).toBe(0);
    expect(finished.json()).toMatchObject({ reached: true, state: 'finished' });
    // `ended` waits for the workflow itself to close (its closeout has written events.jsonl).
    const closed = await stack.cli(['wait', laneId, '--for', 'ended', '--timeout', '60s', '--json'], { timeoutMs: 90_000 });
    expect(closed.exitCode).toBe(0);
    expect(closed.json()).toMatchObject({ reached: true, workflowStatus: 'COMPLETED' });

    const requests = stack.mock.requests.filter((r) => r.scenario === 'steer-send' && r.status === 200);
    const first = requests.find((r) => r.turn === 0)!;
    const next = requests.find((r) => r.turn === 1)!;
    expect(requestText(first.body)).not.toContain('MSG-7731');
    expect(requestText(next.body)).toContain(marker);
    // Once delivered, exactly once: it stays in the conversation but is not sent again as a new message.
    const last = requests.find((r) => r.turn === 2)!;
    expect(requestText(last.body).split('MSG-7731').length - 1).toBe(1);
    expect(readFileSync(join(laneDir(stack, laneId), 'transcript.json'), 'utf8')).toContain('MSG-7731');

    const events = expectWellFormedEvents(eventsFile(stack, laneId), laneId);
    const received = events.find((e) => e.type === 'lane.message.received')!;
    const delivered = events.find((e) => e.type === 'lane.message.delivered')!;
    expect(received.data).toMatchObject({ messageId: 'm1', text: marker });
    expect(delivered.data).toMatchObject({ messageId: 'm1', turn: 2 });
    const resolvedSeq = events.find((e) => e.type === 'lane.resolved')!.seq;
    expect(received.seq).toBeLessThan(resolvedSeq);
    expect(delivered.seq).toBeGreaterThan(resolvedSeq);
    expect(events.filter((e) => e.type === 'lane.message.delivered')).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({ type: 'lane.finished', state: 'finished' });

    // An ended lane: send is refused (exit 2, nothing queued), wait for another state says it ended.
    const late = await stack.cli(['send', laneId, 'too late', '--json']);
    expect(late.exitCode).toBe(2);
    expect(late.json().error).toMatchObject({ code: 'conflict' });
    const ended = await stack.cli(['wait', laneId, '--for', 'blocked', '--json']);
    expect(ended.exitCode).toBe(1);
    expect(ended.json()).toMatchObject({ reached: false, outcome: 'ended', state: 'finished' });
    const endedEvent = await stack.cli(['wait', laneId, '--for', 'lane.merged', '--json']);
    expect(endedEvent.exitCode).toBe(0);
    expect(endedEvent.json().event).toMatchObject({ type: 'lane.merged' });
  }, 240_000);

  it('restart from the checkpoint after the environment is fixed: a new run (same lane id, events kept) with a fresh transcript lands without repeating the work', async () => {
    const laneId = 'steer-restart';
    // The tests need something only the worker's environment gives: "fix the environment" = restart the worker with it.
    const repo = await submitEnvGatedLane(laneId, 'STEER_ENV_OK', { recoveryAttempts: 0 });
    const blocked = await stack.cli(['wait', laneId, '--for', 'blocked', '--timeout', '120s', '--json'], { timeoutMs: 150_000 });
    expect(blocked.exitCode, blocked.stdout).toBe(0);
    const before = (await stack.cli(['events', laneId, '--json'])).json() as { type: string; runId: string; data: Record<string, unknown> }[];
    const checkpoint = before.find((e) => e.type === 'lane.commit.created')!.data.sha as string;

    // Refused on a lane that is not blocked is covered below (finished); bad flags are usage errors.
    const both = await stack.cli(['restart', laneId, '--from-base', '--from-checkpoint', '--json']);
    expect(both.exitCode).toBe(2);

    await stack.stopWorker();
    stack.env.STEER_ENV_OK = '1';
    await stack.startWorker();
    const requestsBefore = stack.mock.requests.filter((r) => r.scenario === 'steer-restart').length;
    const restarted = await stack.cli(['restart', laneId, '--from-checkpoint', '--note', 'env fixed', '--json']);
    expect(restarted.exitCode, restarted.stdout + restarted.stderr).toBe(0);
    expect(restarted.json()).toMatchObject({ laneId, accepted: true, from: 'checkpoint', resetTo: checkpoint });

    const closed = await stack.cli(['wait', laneId, '--for', 'ended', '--timeout', '120s', '--json'], { timeoutMs: 150_000 });
    expect(closed.json()).toMatchObject({ reached: true, workflowStatus: 'COMPLETED', state: 'finished' });
    expect(await repo.git('show', 'main:src/math.js')).toBe(CALCULATOR_FIX.trimEnd());

    const events = expectWellFormedEvents(eventsFile(stack, laneId), laneId);
    const restart = events.find((e) => e.type === 'lane.restarted')!;
    expect(restart.data).toMatchObject({ from: 'checkpoint', head: checkpoint, note: 'env fixed' });
    // Events kept: the first run's events are the start of the log; the new run has a new run id.
    expect(events.slice(0, before.length).map((e) => e.type)).toEqual(before.map((e) => e.type));
    const after = events.filter((e) => e.seq > restart.seq);
    expect(after.every((e) => e.runId !== restart.runId)).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: 'lane.finished' });
    // A fresh transcript: the first request after the restart carries no earlier assistant turn.
    const fresh = stack.mock.requests.filter((r) => r.scenario === 'steer-restart').slice(requestsBefore);
    expect(fresh[0]!.turn).toBe(0);
    // Must not: the checkpointed work committed again (the rewrite is identical: no second work commit).
    expect(events.filter((e) => e.type === 'lane.commit.created').map((e) => e.data.sha)).toEqual([checkpoint]);
    const late = await stack.cli(['restart', laneId, '--json']);
    expect(late.exitCode).toBe(2);
    expect(late.json().error.message).toMatch(/a finished lane cannot be restarted/);
  }, 300_000);

  it('restart of a failed lane after the cause is fixed: a new run under the same workflow id continues the event log from the checkpoint and lands exactly once', async () => {
    const laneId = 'steer-refail';
    // Red for a reason only the worker's environment fixes; nobody answers the block, so the escalation timeout fails the lane.
    const repo = await submitEnvGatedLane(laneId, 'STEER_REFAIL_OK', { recoveryAttempts: 0, timeoutMs: 2_000 });
    const failed = await stack.cli(['wait', laneId, '--for', 'ended', '--timeout', '120s', '--json'], { timeoutMs: 150_000 });
    expect(failed.json()).toMatchObject({ workflowStatus: 'FAILED', state: 'failed' });
    const before = (await stack.cli(['events', laneId, '--json'])).json() as { seq: number; type: string; runId: string; data: Record<string, unknown> }[];
    const checkpoint = before.find((e) => e.type === 'lane.commit.created')!.data.sha as string;
    // The failed run's closeout kept the lane branch: it holds the unlanded checkpoint.
    expect((await repo.git('rev-parse', `lanes/${laneId}`)).trim()).toBe(checkpoint);

    await stack.stopWorker();
    stack.env.STEER_REFAIL_OK = '1';
    await stack.startWorker();
    const restarted = await stack.cli(['restart', laneId, '--note', 'env fixed', '--json']);
    expect(restarted.exitCode, restarted.stdout + restarted.stderr).toBe(0);
    const r = restarted.json() as { runId: string; failedRunId: string };
    expect(r).toMatchObject({ laneId, accepted: true, from: 'checkpoint', resetTo: checkpoint });
    expect(r.runId).not.toBe(r.failedRunId);

    const closed = await stack.cli(['wait', laneId, '--for', 'ended', '--timeout', '120s', '--json'], { timeoutMs: 150_000 });
    expect(closed.json()).toMatchObject({ reached: true, workflowStatus: 'COMPLETED', state: 'finished' });
    expect(await repo.git('show', 'main:src/math.js')).toBe(CALCULATOR_FIX.trimEnd());

    // One log, gap-free and in order on disk and through `lanes events`: the failed run's events, then the new run's.
    const events = expectWellFormedEvents(eventsFile(stack, laneId), laneId);
    const listed = (await stack.cli(['events', laneId, '--json'])).json() as { seq: number }[];
    expect(listed.map((e) => e.seq)).toEqual(events.map((e) => e.seq));
    expect(events.slice(0, before.length).map((e) => [e.seq, e.type])).toEqual(before.map((e) => [e.seq, e.type]));
    const restart = events[before.length]!;
    expect(restart).toMatchObject({ type: 'lane.restarted', runId: r.runId, data: { from: 'checkpoint', head: checkpoint, note: 'env fixed', failedRunId: r.failedRunId } });
    expect(events.at(-1)).toMatchObject({ type: 'lane.finished', runId: r.runId });
    // Must not: events repeated, the work committed twice, the lane landed twice.
    expect(events.filter((e) => e.type === 'lane.failed')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'lane.started')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'lane.commit.created').map((e) => e.data.sha)).toEqual([checkpoint]);
    expect(events.filter((e) => e.type === 'lane.merged')).toHaveLength(1);
    expect((await repo.git('merge-base', '--is-ancestor', checkpoint, 'main')).trim()).toBe('');

    // Must not: a finished lane run again.
    const again = await stack.cli(['restart', laneId, '--json']);
    expect(again.exitCode).toBe(2);
    expect(again.json().error.message).toMatch(/a finished lane cannot be restarted/);
    expect((await stack.cli(['events', laneId, '--json'])).json()).toHaveLength(events.length);
  }, 300_000);

  it('refuses bad input with a usage error and does nothing: no message, an unknown --for, a bad duration', async () => {
    const none = await stack.cli(['send', 'whatever', '--json']);
    expect(none.exitCode).toBe(2);
    expect(none.json().error.message).toMatch(/needs the message as an argument or --file/);
    const badFor = await stack.cli(['wait', 'whatever', '--for', 'sleeping', '--json']);
    expect(badFor.exitCode).toBe(2);
    expect(badFor.json().error.message).toMatch(/--for "sleeping" names no state or event type/);
    const badTimeout = await stack.cli(['wait', 'whatever', '--for', 'ended', '--timeout', 'soon', '--json']);
    expect(badTimeout.exitCode).toBe(2);
    const missing = await stack.cli(['send', 'no-such-lane', 'hello', '--json']);
    expect(missing.exitCode).not.toBe(0);
    expect(missing.json().error.code).toBe('not_found');
  });
});
