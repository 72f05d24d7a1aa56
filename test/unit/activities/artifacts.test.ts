import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createArtifactActivities, createArtifactStore, type ArtifactStore } from '../../../src/activities/artifacts.js';
import { writeFileAtomic } from '../../../src/atomic-file.js';

let home: string;
let store: ArtifactStore;

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'lanes-artifacts-'));
  store = createArtifactStore({ home });
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

const ev = (...seqs: number[]) => seqs.map((seq) => ({ seq, type: `t${seq}` }));
const eventsFile = () => join(home, 'lanes', 'lane-1', 'events.jsonl');
const fileSeqs = () =>
  readFileSync(eventsFile(), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { seq: number }).seq);

function failureType(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof ApplicationFailure ? (err.type ?? undefined) : `not an ApplicationFailure: ${String(err)}`;
  }
  return undefined;
}

describe('artifacts', () => {
  it('writes JSON atomically into a created lane folder and leaves no temp file behind', () => {
    const path = store.writeJson('lane-1', 'tools/3-call_1.json', { ok: true });
    expect(path).toBe(join(home, 'lanes', 'lane-1', 'tools', '3-call_1.json'));
    store.writeJson('lane-1', 'tools/3-call_1.json', { ok: false, n: 2 });
    expect(store.readJson('lane-1', 'tools/3-call_1.json')).toEqual({ ok: false, n: 2 });
    expect(readdirSync(join(home, 'lanes', 'lane-1', 'tools'))).toEqual(['3-call_1.json']);
  });

  it('writes text and reports existence; a missing file reads as undefined', () => {
    expect(store.exists('lane-1', 'report.md')).toBe(false);
    expect(store.readJson('lane-1', 'nope.json')).toBeUndefined();
    store.writeText('lane-1', 'report.md', '# hi\n');
    expect(store.exists('lane-1', 'report.md')).toBe(true);
    expect(store.readText('lane-1', 'report.md')).toBe('# hi\n');
  });

  it('leaves neither the target nor a temp file when an atomic write fails', () => {
    const dir = join(home, 'blocked');
    mkdirSync(dir);
    mkdirSync(join(dir, 'target')); // a directory where the file should go: rename must fail
    expect(() => writeFileAtomic(join(dir, 'target'), 'x')).toThrow(/could not write/);
    expect(readdirSync(dir)).toEqual(['target']);
    expect(readdirSync(join(dir, 'target'))).toEqual([]);
  });

  it('refuses lane ids and paths that would leave the lane folder, writing nothing', () => {
    expect(failureType(() => store.writeJson('..', 'x.json', {}))).toBe('workspace_mismatch');
    expect(failureType(() => store.writeJson('lane-1', '../lane-2/x.json', {}))).toBe('workspace_mismatch');
    expect(failureType(() => store.writeJson('lane-1', '/tmp/x.json', {}))).toBe('workspace_mismatch');
    expect(failureType(() => store.writeJson('a/b', 'x.json', {}))).toBe('workspace_mismatch');
    expect(existsSync(join(home, 'lanes'))).toBe(false);
  });

  it('appends events once each, even when a retry sends overlapping events', () => {
    expect(store.appendEvents('lane-1', ev(1, 2, 3))).toEqual({ appended: 3, lastSeq: 3 });
    expect(store.appendEvents('lane-1', ev(2, 3, 4, 5))).toEqual({ appended: 2, lastSeq: 5 });
    expect(store.appendEvents('lane-1', ev(1, 2, 3, 4, 5))).toEqual({ appended: 0, lastSeq: 5 });
    expect(store.appendEvents('lane-1', [])).toEqual({ appended: 0, lastSeq: 5 });
    expect(fileSeqs()).toEqual([1, 2, 3, 4, 5]);
  });

  it('refuses an append that would leave a gap, and leaves the file unchanged', () => {
    store.appendEvents('lane-1', ev(1, 2));
    const before = readFileSync(eventsFile(), 'utf8');
    expect(failureType(() => store.appendEvents('lane-1', ev(4, 5)))).toBe('infra');
    expect(failureType(() => store.appendEvents('lane-1', ev(3, 5)))).toBe('infra');
    expect(readFileSync(eventsFile(), 'utf8')).toBe(before);
  });

  it('cuts off a torn last line left by a crash and appends the event whole', () => {
    store.appendEvents('lane-1', ev(1, 2));
    appendFileSync(eventsFile(), '{"seq":3,"ty'); // crash mid-append
    expect(store.readEvents('lane-1').map((e) => e.seq)).toEqual([1, 2]);
    expect(store.appendEvents('lane-1', ev(3, 4))).toEqual({ appended: 2, lastSeq: 4 });
    expect(fileSeqs()).toEqual([1, 2, 3, 4]);
    expect(readFileSync(eventsFile(), 'utf8')).not.toContain('"ty\n');
  });

  it('repairs a torn tail longer than the read chunk', () => {
    const big = [{ seq: 1, big: 'x'.repeat(70_000) }];
    store.appendEvents('lane-1', big);
    appendFileSync(eventsFile(), `{"seq":2,"big":"${'y'.repeat(100_000)}`);
    expect(store.appendEvents('lane-1', ev(2))).toEqual({ appended: 1, lastSeq: 2 });
    expect(fileSeqs()).toEqual([1, 2]);
  });

  it('reads events after a given seq in file order', () => {
    store.appendEvents('lane-1', ev(1, 2, 3, 4));
    expect(store.readEvents('lane-1', 2)).toEqual(ev(3, 4));
    expect(store.readEvents('lane-1')).toHaveLength(4);
    expect(store.readEvents('lane-9')).toEqual([]);
  });

  it('accepts any starting seq on an empty log (a lane folder recreated on another host)', () => {
    expect(store.appendEvents('lane-1', ev(7, 8))).toEqual({ appended: 2, lastSeq: 8 });
    expect(failureType(() => store.appendEvents('lane-1', ev(10)))).toBe('infra');
  });

  it('refuses a non-integer seq without writing', () => {
    expect(failureType(() => store.appendEvents('lane-1', [{ seq: 1.5 }]))).toBe('infra');
    expect(existsSync(eventsFile())).toBe(false);
  });

  it('recordEvents and writeReport activities are idempotent on retry', async () => {
    const acts = createArtifactActivities({ home });
    await acts.recordEvents({ laneId: 'lane-1', events: ev(1, 2) });
    await acts.recordEvents({ laneId: 'lane-1', events: ev(1, 2) });
    expect(fileSeqs()).toEqual([1, 2]);
    const first = await acts.writeReport({ laneId: 'lane-1', report: { state: 'finished' } });
    const again = await acts.writeReport({ laneId: 'lane-1', report: { state: 'finished' } });
    expect(again).toEqual(first);
    expect(JSON.parse(readFileSync(first.path, 'utf8'))).toEqual({ state: 'finished' });
    expect(readdirSync(join(home, 'lanes', 'lane-1')).sort()).toEqual(['events.jsonl', 'report.json']);
  });

  it('treats a hand-corrupted JSON artifact as an infra failure, not as missing', () => {
    mkdirSync(join(home, 'lanes', 'lane-1'), { recursive: true });
    writeFileSync(join(home, 'lanes', 'lane-1', 'report.json'), '{oops');
    expect(failureType(() => store.readJson('lane-1', 'report.json'))).toBe('infra');
  });
});
