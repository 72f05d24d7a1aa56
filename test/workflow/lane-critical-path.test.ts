// Steps that no longer wait for each other on a lane's critical path (issue #12):
// events.jsonl is written beside the next step, the trust check beside the preflight (a start step by step),
// the landing's reads (branch status, scope check, screen) beside the last test run. Real dev server, real artifact store
// (events.jsonl on disk), stub activities for the rest (test/support/lane-stubs.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createArtifactActivities, createArtifactStore } from '../../src/activities/artifacts.js';
import type { LaneEvent } from '../../src/workflows/events.js';
import { happyStubs, lanePacket, runStubbedLane, stubReply } from '../support/lane-stubs.js';
import { connectTestTemporal, type TestTemporal, uniqueTaskQueue } from '../support/temporal.js';

/** How long a stub waits for the step that should run beside it before it gives up (then the test fails). */
const BESIDE_WAIT_MS = 10_000;

/** A flag a stub sets when its step starts, and a wait for it that gives up after BESIDE_WAIT_MS. */
/** A prepareCandidate stub that records each call (the lane tried to land) and reports "already landed". */
function candidateRecorder(landing: string[]) {
  return async () => {
    landing.push('prepareCandidate');
    return { alreadyLanded: true };
  };
}

function startedFlag() {
  let started = false;
  let release: () => void = () => undefined;
  const seen = new Promise<void>((r) => (release = r));
  return {
    mark() {
      started = true;
      release();
    },
    get started() {
      return started;
    },
    /** True when the step started while we waited. */
    async waitFor(): Promise<boolean> {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([seen, new Promise((r) => (timer = setTimeout(r, BESIDE_WAIT_MS)))]);
      clearTimeout(timer);
      return started;
    },
  };
}

/** The landing's three reads (landing-checks.ts). */
const LANDING_READS = ['branchStatus', 'scopeCheck', 'screenDiff'];

/** The lane's scheduled activities in order: name, the workflow task that scheduled it, and when it completed (event ids). */
async function scheduledActivities(t: TestTemporal, workflowId: string) {
  const events = (await t.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const completedAt = new Map<string, number>();
  for (const e of events) {
    const done = e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes;
    if (done) completedAt.set(String(done.scheduledEventId), Number(e.eventId));
  }
  return events
    .filter((e) => e.activityTaskScheduledEventAttributes)
    .map((e) => {
      const a = e.activityTaskScheduledEventAttributes!;
      return { name: a.activityType!.name!, task: Number(a.workflowTaskCompletedEventId), id: Number(e.eventId), completedAt: completedAt.get(String(e.eventId)) ?? Infinity };
    });
}

describe('lane critical path (stub activities, real events.jsonl)', () => {
  let t: TestTemporal;
  let home: string;
  beforeAll(async () => {
    t = await connectTestTemporal();
  });
  afterAll(async () => t?.close());
  afterEach(() => {
    if (home) rmSync(home, { recursive: true, force: true });
  });

  /** A lane whose recordEvents is the real activity over a temp LANES_HOME; `writes` logs each call. */
  function realLogLane(name: string) {
    const taskQueue = uniqueTaskQueue(name);
    home = mkdtempSync(join(tmpdir(), 'lanes-critical-'));
    const recorded: LaneEvent[] = [];
    const stubs = happyStubs(taskQueue, recorded);
    const artifacts = createArtifactActivities({ home });
    const writes = { calls: 0, inFlight: 0, maxInFlight: 0 };
    const record = async (i: { laneId: string; events: LaneEvent[] }) => {
      writes.calls += 1;
      writes.inFlight += 1;
      writes.maxInFlight = Math.max(writes.maxInFlight, writes.inFlight);
      try {
        return await artifacts.recordEvents(i);
      } finally {
        writes.inFlight -= 1;
      }
    };
    stubs.recordEvents = record;
    const readLog = (laneId: string) => createArtifactStore({ home }).readEvents<LaneEvent>(laneId);
    return { taskQueue, laneId: taskQueue, stubs, writes, record, readLog };
  }

  it('events are written beside the next step: the first model turn starts while the write is running, and events.jsonl ends complete and in order', async () => {
    const { taskQueue, laneId, stubs, writes, record, readLog } = realLogLane('lane-flush-beside');
    const firstTurn = startedFlag();
    let turnDuringFirstWrite: boolean | null = null;
    stubs.recordEvents = async (i: { laneId: string; events: LaneEvent[] }) => {
      // The first write (after prepare) holds until the first model turn has started beside it.
      if (turnDuringFirstWrite === null) turnDuringFirstWrite = await firstTurn.waitFor();
      return record(i);
    };
    stubs.modelTurn = async (i: { turn: number }) => {
      firstTurn.mark();
      return stubReply(i.turn, false);
    };
    const end = await runStubbedLane(t, taskQueue, { laneId, packet: lanePacket(laneId), fingerprint: 'f' }, stubs);
    expect(end.error).toBeNull();
    expect(end.report).toMatchObject({ state: 'finished', landed: true });
    expect(turnDuringFirstWrite).toBe(true);
    const log = readLog(laneId);
    expect(log.map((e) => e.seq)).toEqual(Array.from({ length: end.report!.events }, (_, i) => i + 1));
    expect(log.at(-1)?.type).toBe('lane.finished');
    // Must not: two writes in flight at once (events.jsonl appends race), or the terminal event before closeout.
    expect(writes.maxInFlight).toBe(1);
    expect(log.findIndex((e) => e.type === 'lane.closeout')).toBeLessThan(log.findIndex((e) => e.type === 'lane.finished'));
  });

  it('when openLane fails, the step-by-step start runs with the trust check beside the preflight; the landing screen starts beside the scope check; each is still decided in its place', async () => {
    const { taskQueue, laneId, stubs } = realLogLane('lane-checks-together');
    // Not retried: the lane falls back at once to the start as separate steps.
    stubs.openLane = async () => {
      throw ApplicationFailure.create({ type: 'infra', message: 'openLane is not there', nonRetryable: true });
    };
    const trust = startedFlag();
    const screen = startedFlag();
    const seen = { trustDuringPreflight: false, screenDuringScope: false };
    stubs.checkTrust = async () => {
      trust.mark();
      return { trusted: true, trustedRoots: [] };
    };
    stubs.preflightLane = async () => {
      seen.trustDuringPreflight = await trust.waitFor();
      return { ok: true };
    };
    stubs.screenDiff = async () => {
      screen.mark();
      return { findings: [], refused: [], blocked: [] };
    };
    stubs.scopeCheck = async () => {
      seen.screenDuringScope = await screen.waitFor();
      return { outside: [], changed: ['src/math.js'] };
    };
    const end = await runStubbedLane(t, taskQueue, { laneId, packet: lanePacket(laneId), fingerprint: 'f' }, stubs);
    expect(end.error).toBeNull();
    expect(end.report).toMatchObject({ state: 'finished', landed: true });
    expect(seen).toEqual({ trustDuringPreflight: true, screenDuringScope: true });
  });

  it('the landing reads start beside the last test run; a stale branch is looked at again, and reads from before a merge forward are not used', async () => {
    const { taskQueue, laneId, stubs, readLog } = realLogLane('lane-reads-early');
    const scope = startedFlag();
    const calls: string[] = [];
    let scopeDuringStatus = false;
    let statuses = 0;
    stubs.branchStatus = async () => {
      statuses += 1;
      calls.push(`branchStatus-${statuses}`);
      if (statuses === 1) scopeDuringStatus = await scope.waitFor();
      // The base moved once (seen beside the tests, then again after them): the lane merges it forward and tests again.
      return statuses <= 2 ? { behind: 1, ahead: 1, baseHead: 'c'.repeat(40) } : { behind: 0, ahead: 2, baseHead: 'c'.repeat(40) };
    };
    stubs.mergeForward = async () => {
      calls.push('mergeForward');
      return { sha: 'd'.repeat(40), conflict: false };
    };
    let scopes = 0;
    stubs.scopeCheck = async () => {
      scopes += 1;
      calls.push(`scopeCheck-${scopes}`);
      scope.mark();
      // The read from before the merge forward sees a file the merge later takes away.
      return scopes === 1 ? { outside: ['vendor/lib.js'], changed: ['src/math.js', 'vendor/lib.js'] } : { outside: [], changed: ['src/math.js'] };
    };
    const end = await runStubbedLane(t, taskQueue, { laneId, packet: lanePacket(laneId), fingerprint: 'f' }, stubs);
    expect(end.error).toBeNull();
    expect(end.report).toMatchObject({ state: 'finished', landed: true });
    expect(scopeDuringStatus).toBe(true);
    expect(calls.filter((c) => c === 'mergeForward')).toHaveLength(1);
    expect(calls.indexOf('scopeCheck-2')).toBeGreaterThan(calls.indexOf('mergeForward'));
    // Must not: the stale read decides (the lane failing as manifest), or a third read (the one beside the second run was used).
    expect(readLog(laneId).some((e) => e.failureClass === 'manifest')).toBe(false);
    expect(scopes).toBe(2);
    expect(statuses).toBe(3);
  });

  it('the branch status, scope check and screen go out in the workflow task of the last test run; the lane lands once on them', async () => {
    const { taskQueue, laneId, stubs, readLog } = realLogLane('lane-reads-beside-tests');
    const advanced: string[] = [];
    stubs.prepareCandidate = async () => ({ alreadyLanded: false, conflict: false, candidatePath: `/tmp/stub-worktrees/${laneId}.candidate`, candidateHead: 'e'.repeat(40), targetHead: 'b'.repeat(40) });
    stubs.advanceTarget = async (i: { candidateHead: string }) => {
      advanced.push(i.candidateHead);
      return { landed: true, landedCommits: [] };
    };
    const end = await runStubbedLane(t, taskQueue, { laneId, packet: lanePacket(laneId), fingerprint: 'f' }, stubs);
    expect(end.error).toBeNull();
    expect(end.report).toMatchObject({ state: 'finished', landed: true, mergeCommit: 'e'.repeat(40) });
    expect(advanced).toEqual(['e'.repeat(40)]);
    const acts = await scheduledActivities(t, `lane-${laneId}`);
    const worktreeRun = acts.find((a) => a.name === 'runAcceptance')!;
    const reads = acts.filter((a) => LANDING_READS.includes(a.name));
    expect(reads.map((a) => a.name).sort()).toEqual([...LANDING_READS].sort());
    expect(reads.map((a) => a.task)).toEqual(LANDING_READS.map(() => worktreeRun.task));
    // Must not: any read scheduled again once the tests finished (the early ones were used), or a second candidate.
    expect(reads.every((a) => a.id < worktreeRun.completedAt)).toBe(true);
    expect(acts.filter((a) => a.name === 'prepareCandidate')).toHaveLength(1);
    expect(readLog(laneId).filter((e) => e.type === 'lane.merged')).toHaveLength(1);
  });

  it('a red last test run discards the reads beside it: the fixed lane is read again beside its green run, and lands only on those reads', async () => {
    const { taskQueue, laneId, stubs, readLog } = realLogLane('lane-reads-red');
    const landing: string[] = [];
    let runs = 0;
    stubs.runAcceptance = async () => {
      runs += 1;
      return runs === 1
        ? { passed: false, results: [{ name: 'unit tests', exitCode: 1, timedOut: false, tail: 'not ok 1 - add' }] }
        : { passed: true, results: [{ name: 'unit tests', exitCode: 0, timedOut: false, tail: '' }] };
    };
    // The red run's diff is in scope; the fix-up pass wrote a file outside it.
    let scopes = 0;
    stubs.scopeCheck = async () => {
      scopes += 1;
      return scopes === 1 ? { outside: [], changed: ['src/math.js'] } : { outside: ['vendor/lib.js'], changed: ['src/math.js', 'vendor/lib.js'] };
    };
    stubs.prepareCandidate = candidateRecorder(landing);
    const end = await runStubbedLane(t, taskQueue, { laneId, packet: lanePacket(laneId), fingerprint: 'f' }, stubs);
    expect(end.ok).toBe(false);
    const log = readLog(laneId);
    expect(log.some((e) => e.type === 'lane.red')).toBe(true);
    expect(log.at(-1)).toMatchObject({ type: 'lane.failed', failureClass: 'manifest' });
    const acts = await scheduledActivities(t, `lane-${laneId}`);
    const testRuns = acts.filter((a) => a.name === 'runAcceptance');
    expect(testRuns).toHaveLength(2);
    // One set of reads beside each run, none after the green one; the red run's freshness is read again after it, as before.
    const [red, green] = testRuns as [(typeof acts)[number], (typeof acts)[number]];
    for (const name of ['scopeCheck', 'screenDiff']) expect(acts.filter((a) => a.name === name).map((a) => a.task)).toEqual([red.task, green.task]);
    const statuses = acts.filter((a) => a.name === 'branchStatus');
    expect(statuses.map((a) => a.task)).toEqual([red.task, statuses[1]!.task, green.task]);
    expect(statuses[1]!.id).toBeGreaterThan(red.completedAt);
    expect(statuses[1]!.id).toBeLessThan(green.id);
    expect(scopes).toBe(2);
    // Must not: the red run's clean scope check lets the fixed diff land.
    expect(landing).toEqual([]);
  });

  it('a green last test run that came from a second activity attempt discards the reads beside it: all three are read again after it', async () => {
    const { taskQueue, laneId, stubs, readLog } = realLogLane('lane-reads-retried');
    // The result of a second attempt (the first one's worker died): anything may have happened in between.
    stubs.runAcceptance = async () => ({ passed: true, ranInAttempt: 2, results: [{ name: 'unit tests', exitCode: 0, timedOut: false, tail: '' }] });
    let scopes = 0;
    stubs.scopeCheck = async () => {
      scopes += 1;
      return scopes === 1 ? { outside: ['vendor/lib.js'], changed: ['src/math.js', 'vendor/lib.js'] } : { outside: [], changed: ['src/math.js'] };
    };
    const end = await runStubbedLane(t, taskQueue, { laneId, packet: lanePacket(laneId), fingerprint: 'f' }, stubs);
    expect(end.error).toBeNull();
    expect(end.report).toMatchObject({ state: 'finished', landed: true });
    const acts = await scheduledActivities(t, `lane-${laneId}`);
    const worktreeRun = acts.find((a) => a.name === 'runAcceptance')!;
    for (const name of LANDING_READS) {
      const reads = acts.filter((a) => a.name === name);
      expect(reads).toHaveLength(2);
      expect(reads[0]!.task).toBe(worktreeRun.task);
      expect(reads[1]!.id).toBeGreaterThan(worktreeRun.completedAt);
    }
    // Must not: the read beside the retried run decides (the lane failing as manifest).
    expect(readLog(laneId).some((e) => e.failureClass === 'manifest')).toBe(false);
    expect(scopes).toBe(2);
  });

  it('a diff outside the manifest fails the lane as manifest even when the early screen failed; nothing lands', async () => {
    const { taskQueue, laneId, stubs, readLog } = realLogLane('lane-scope-first');
    const landing: string[] = [];
    stubs.scopeCheck = async () => ({ outside: ['secrets/.env'], changed: ['secrets/.env'] });
    stubs.screenDiff = async () => {
      throw ApplicationFailure.create({ message: 'screen broke', type: 'infra', nonRetryable: true });
    };
    stubs.prepareCandidate = candidateRecorder(landing);
    const end = await runStubbedLane(t, taskQueue, { laneId, packet: lanePacket(laneId), fingerprint: 'f' }, stubs);
    expect(end.ok).toBe(false);
    const log = readLog(laneId);
    expect(log.at(-1)).toMatchObject({ type: 'lane.failed', failureClass: 'manifest' });
    // Must not: the screen's failure (decided only after a clean scope check) replaces the scope's verdict; a candidate is built.
    expect(log.some((e) => e.failureClass === 'infra')).toBe(false);
    expect(landing).toEqual([]);
  });

  it('an events write that fails stops the lane before it lands; closeout writes the whole log afterwards', async () => {
    const { taskQueue, laneId, stubs, record, readLog } = realLogLane('lane-flush-fails');
    const landing: string[] = [];
    let failed = 0;
    stubs.recordEvents = async (i: { laneId: string; events: LaneEvent[] }) => {
      if (failed === 0) {
        failed += 1;
        throw ApplicationFailure.create({ message: 'disk full', type: 'infra', nonRetryable: true });
      }
      return record(i);
    };
    stubs.prepareCandidate = candidateRecorder(landing);
    const end = await runStubbedLane(t, taskQueue, { laneId, packet: lanePacket(laneId), fingerprint: 'f' }, stubs);
    expect(end.ok).toBe(false);
    const log = readLog(laneId);
    expect(log.map((e) => e.seq)).toEqual(Array.from({ length: log.length }, (_, i) => i + 1));
    expect(log.at(-1)).toMatchObject({ type: 'lane.failed', failureClass: 'infra' });
    expect(log.at(-1)?.detail).toContain('disk full');
    // Must not: the lane goes on to land with its event log failing.
    expect(landing).toEqual([]);
  });

  it('a lane cancelled while an events write is in flight closes out with every event written once', async () => {
    const { taskQueue, laneId, stubs, record, readLog } = realLogLane('lane-flush-cancel');
    const turn = startedFlag();
    const cancelSent = startedFlag();
    stubs.modelTurn = async () => {
      turn.mark();
      await cancelSent.waitFor();
      return stubReply(1, false);
    };
    // The first write (beside the first turn) is still running when the cancel arrives; it lands late.
    let first = true;
    stubs.recordEvents = async (i: { laneId: string; events: LaneEvent[] }) => {
      if (first) {
        first = false;
        await cancelSent.waitFor();
        await new Promise((r) => setTimeout(r, 200));
      }
      return record(i);
    };
    const end = await runStubbedLane(t, taskQueue, { laneId, packet: lanePacket(laneId), fingerprint: 'f' }, stubs, async (client, workflowId) => {
      await turn.waitFor();
      await client.workflow.getHandle(workflowId).cancel();
      cancelSent.mark();
    });
    expect(end.ok).toBe(false);
    const log = readLog(laneId);
    expect(log.map((e) => e.seq)).toEqual(Array.from({ length: log.length }, (_, i) => i + 1));
    expect(log.map((e) => e.type).slice(-3)).toEqual(['lane.cancelled', 'lane.closeout', 'lane.failed']);
    // Must not: events lost with the cancelled write, or written twice.
    expect(new Set(log.map((e) => e.seq)).size).toBe(log.length);
    expect(log.some((e) => e.type === 'lane.ready')).toBe(true);
  });
});
