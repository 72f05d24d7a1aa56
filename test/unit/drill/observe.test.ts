import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { firstStartAfter, laneProcesses } from '../../../src/drill/observe.js';

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'lanes-observe-'));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

describe('drill/observe', () => {
  it('finds a live process working in the lane home and ignores excluded and unrelated ones', async () => {
    const wt = join(home, 'worktrees', 'lane-1');
    mkdirSync(wt, { recursive: true });
    const inLane = execa('sleep', ['30'], { cwd: wt, reject: false });
    const excluded = execa('sleep', ['30'], { cwd: wt, reject: false });
    const elsewhere = execa('sleep', ['30'], { cwd: tmpdir(), reject: false });
    try {
      const found = laneProcesses(home, { exclude: [excluded.pid!], recordedPids: [] }).map((p) => p.pid);
      expect(found).toContain(inLane.pid);
      expect(found).not.toContain(excluded.pid);
      expect(found).not.toContain(elsewhere.pid);
    } finally {
      for (const p of [inLane, excluded, elsewhere]) p.kill('SIGKILL');
      await Promise.all([inLane, excluded, elsewhere]);
    }
    expect(laneProcesses(home, { exclude: [], recordedPids: [inLane.pid!] })).toEqual([]);
  });

  it('picks the first activity attempt that started after the kill', () => {
    const starts = [
      { activityType: 'claimHost', attempt: 1, startedAtMs: 100 },
      { activityType: 'prepareWorktree', attempt: 2, startedAtMs: 2_500 },
      { activityType: 'startMcp', attempt: 1, startedAtMs: 3_000 },
    ];
    expect(firstStartAfter(starts, 500)).toEqual(starts[1]);
    expect(firstStartAfter(starts, 5_000)).toBeUndefined();
  });

  it('names the step, not the events write retried beside it, unless the write is all that started', () => {
    const starts = [
      { activityType: 'recordEvents', attempt: 2, startedAtMs: 2_400 },
      { activityType: 'modelTurn', attempt: 2, startedAtMs: 2_410 },
    ];
    expect(firstStartAfter(starts, 500)).toEqual(starts[1]);
    // Must not: report nothing when only an events write started after the kill.
    expect(firstStartAfter(starts.slice(0, 1), 500)).toEqual(starts[0]);
  });

  it('names the test run, not a landing read retried beside it (mid_tests)', () => {
    const starts = [
      { activityType: 'screenDiff', attempt: 2, startedAtMs: 2_400 },
      { activityType: 'branchStatus', attempt: 2, startedAtMs: 2_405 },
      { activityType: 'runAcceptance', attempt: 2, startedAtMs: 2_410 },
    ];
    // Must not: report a read that started beside the killed test run as the step the lane resumed with.
    expect(firstStartAfter(starts, 500)).toEqual(starts[2]);
  });
});
