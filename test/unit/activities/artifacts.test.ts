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

async function failureType(fn: () => unknown): Promise<string | undefined> {
  try {
    await fn();
  } catch (err) {
    return err instanceof ApplicationFailure ? (err.type ?? undefined) : `not an ApplicationFailure: ${String(err)}`;
  }
  return undefined;
}

describe('artifacts', () => {
  it('writes JSON atomically into a created lane folder and leaves no temp file behind', async () => {
    const path = await store.writeJson('lane-1', 'tools/3-call_1.json', { ok: true });
    expect(path).toBe(join(home, 'lanes', 'lane-1', 'tools', '3-call_1.json'));
    await store.writeJson('lane-1', 'tools/3-call_1.json', { ok: false, n: 2 });
    expect(store.readJson('lane-1', 'tools/3-call_1.json')).toEqual({ ok: false, n: 2 });
    expect(readdirSync(join(home, 'lanes', 'lane-1', 'tools'))).toEqual(['3-call_1.json']);
  });

  it('writes text and reports existence; a missing file reads as undefined', async () => {
    expect(store.exists('lane-1', 'report.md')).toBe(false);
    expect(store.readJson('lane-1', 'nope.json')).toBeUndefined();
    await store.writeText('lane-1', 'report.md', '# hi\n');
    expect(store.exists('lane-1', 'report.md')).toBe(true);
    expect(store.readText('lane-1', 'report.md')).toBe('# hi\n');
  });

  it('leaves neither the target nor a temp file when an atomic write fails', async () => {
    const dir = join(home, 'blocked');
    mkdirSync(dir);
    mkdirSync(join(dir, 'target')); // a directory where the file should go: rename must fail
    expect(() => writeFileAtomic(join(dir, 'target'), 'x')).toThrow(/could not write/);
    expect(readdirSync(dir)).toEqual(['target']);
    expect(readdirSync(join(dir, 'target'))).toEqual([]);
  });

  it('refuses lane ids and paths that would leave the lane folder, writing nothing', async () => {
    expect(await failureType(() => store.writeJson('..', 'x.json', {}))).toBe('workspace_mismatch');
    expect(await failureType(() => store.writeJson('lane-1', '../lane-2/x.json', {}))).toBe('workspace_mismatch');
    expect(await failureType(() => store.writeJson('lane-1', '/tmp/x.json', {}))).toBe('workspace_mismatch');
    expect(await failureType(() => store.writeJson('a/b', 'x.json', {}))).toBe('workspace_mismatch');
    expect(existsSync(join(home, 'lanes'))).toBe(false);
  });

  it('appends events once each, even when a retry sends overlapping events', async () => {
    expect(await store.appendEvents('lane-1', ev(1, 2, 3))).toEqual({ appended: 3, lastSeq: 3 });
    expect(await store.appendEvents('lane-1', ev(2, 3, 4, 5))).toEqual({ appended: 2, lastSeq: 5 });
    expect(await store.appendEvents('lane-1', ev(1, 2, 3, 4, 5))).toEqual({ appended: 0, lastSeq: 5 });
    expect(await store.appendEvents('lane-1', [])).toEqual({ appended: 0, lastSeq: 5 });
    expect(fileSeqs()).toEqual([1, 2, 3, 4, 5]);
  });

  it('refuses an append that would leave a gap, and leaves the file unchanged', async () => {
    await store.appendEvents('lane-1', ev(1, 2));
    const before = readFileSync(eventsFile(), 'utf8');
    expect(await failureType(() => store.appendEvents('lane-1', ev(4, 5)))).toBe('infra');
    expect(await failureType(() => store.appendEvents('lane-1', ev(3, 5)))).toBe('infra');
    expect(readFileSync(eventsFile(), 'utf8')).toBe(before);
  });

  it('cuts off a torn last line left by a crash and appends the event whole', async () => {
    await store.appendEvents('lane-1', ev(1, 2));
    appendFileSync(eventsFile(), '{"seq":3,"ty'); // crash mid-append
    expect(store.readEvents('lane-1').map((e) => e.seq)).toEqual([1, 2]);
    expect(await store.appendEvents('lane-1', ev(3, 4))).toEqual({ appended: 2, lastSeq: 4 });
    expect(fileSeqs()).toEqual([1, 2, 3, 4]);
    expect(readFileSync(eventsFile(), 'utf8')).not.toContain('"ty\n');
  });

  it('repairs a torn tail longer than the read chunk', async () => {
    const big = [{ seq: 1, big: 'x'.repeat(70_000) }];
    await store.appendEvents('lane-1', big);
    appendFileSync(eventsFile(), `{"seq":2,"big":"${'y'.repeat(100_000)}`);
    expect(await store.appendEvents('lane-1', ev(2))).toEqual({ appended: 1, lastSeq: 2 });
    expect(fileSeqs()).toEqual([1, 2]);
  });

  it('reads events after a given seq in file order', async () => {
    await store.appendEvents('lane-1', ev(1, 2, 3, 4));
    expect(store.readEvents('lane-1', 2)).toEqual(ev(3, 4));
    expect(store.readEvents('lane-1')).toHaveLength(4);
    expect(store.readEvents('lane-9')).toEqual([]);
  });

  it('accepts any starting seq on an empty log (a lane folder recreated on another host)', async () => {
    expect(await store.appendEvents('lane-1', ev(7, 8))).toEqual({ appended: 2, lastSeq: 8 });
    expect(await failureType(() => store.appendEvents('lane-1', ev(10)))).toBe('infra');
  });

  it('refuses a non-integer seq without writing', async () => {
    expect(await failureType(() => store.appendEvents('lane-1', [{ seq: 1.5 }]))).toBe('infra');
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

  it('treats a hand-corrupted JSON artifact as an infra failure, not as missing', async () => {
    mkdirSync(join(home, 'lanes', 'lane-1'), { recursive: true });
    writeFileSync(join(home, 'lanes', 'lane-1', 'report.json'), '{oops');
    expect(await failureType(() => store.readJson('lane-1', 'report.json'))).toBe('infra');
  });
});

// Durability off the event loop (docs/performance.md, "Worker tuning"): every write runs on
// libuv's threadpool and resolves only once the file is complete on disk; writes to one
// file keep their call order; a crash mid-write leaves the previous complete file.
describe('artifact writes off the event loop', () => {
  it('does no file I/O on the calling thread: nothing exists when the call returns, the whole file when it resolves', async () => {
    const report = { state: 'finished', body: 'x'.repeat(200_000) };
    const writing = store.writeJson('lane-1', 'report.json', report);
    const appending = store.appendEvents('lane-1', ev(1, 2));
    // Must NOT happen: the folder, a temp file or the file itself written synchronously in the call.
    expect(existsSync(join(home, 'lanes'))).toBe(false);
    const path = await writing;
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(report);
    expect(await appending).toEqual({ appended: 2, lastSeq: 2 });
    expect(readdirSync(join(home, 'lanes', 'lane-1')).sort()).toEqual(['events.jsonl', 'report.json']);
  });

  it('runs overlapping appends to one lane one after another, in call order', async () => {
    // Two activities of one worker appending at once: the second must see the first's last seq.
    const results = await Promise.all([store.appendEvents('lane-1', ev(1, 2)), store.appendEvents('lane-1', ev(3, 4)), store.appendEvents('lane-1', ev(3, 4, 5))]);
    expect(results).toEqual([
      { appended: 2, lastSeq: 2 },
      { appended: 2, lastSeq: 4 },
      { appended: 1, lastSeq: 5 },
    ]);
    // Must NOT happen: a gap refusal, a duplicate or an interleaved line.
    expect(fileSeqs()).toEqual([1, 2, 3, 4, 5]);
  });

  it('keeps the last of overlapping writes to one file, and a failed write does not stop the next', async () => {
    const writes = [1, 2, 3].map((n) => store.writeJson('lane-1', 'state.json', { n }));
    const first = store.appendEvents('lane-1', ev(1, 2));
    // Fails inside the queue, with the file at seq 2: a gap.
    const gap = store.appendEvents('lane-1', ev(4)).then(() => 'appended', (err: Error) => err.message);
    const next = store.appendEvents('lane-1', ev(3));
    await Promise.all(writes);
    expect(store.readJson('lane-1', 'state.json')).toEqual({ n: 3 });
    expect(await first).toEqual({ appended: 2, lastSeq: 2 });
    expect(await gap).toMatch(/ends at seq 2; appending seq 4 would leave a gap/);
    expect(await next).toEqual({ appended: 1, lastSeq: 3 });
    // Must NOT happen: an earlier write landing last, or a temp file left behind.
    expect(readdirSync(join(home, 'lanes', 'lane-1')).sort()).toEqual(['events.jsonl', 'state.json']);
  });

  it('leaves the previous complete report and whole event lines when the writing process is SIGKILLed mid-write', async () => {
    // A separate process writes big reports and appends events in a loop; it is killed at
    // varying moments. Built code (npm run build), as the worker runs it.
    const dist = join(process.cwd(), 'dist', 'activities', 'artifacts.js');
    const script = `
      const { createArtifactStore } = await import(${JSON.stringify(dist)});
      const store = createArtifactStore({ home: process.argv[1] });
      const pad = 'y'.repeat(2_000_000);
      let seq = (store.readEvents('lane-1').at(-1)?.seq ?? 0);
      for (let n = 0; ; n++) {
        await Promise.all([
          store.writeJson('lane-1', 'report.json', { n, pad, end: 'complete' }),
          store.appendEvents('lane-1', [{ seq: ++seq, pad: pad.slice(0, 300_000) }, { seq: ++seq, type: 'small' }]),
        ]);
        process.stdout.write('w');
      }`;
    const { spawn } = await import('node:child_process');
    for (let round = 0; round < 6; round++) {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script, home], { stdio: ['ignore', 'pipe', 'inherit'] });
      // Let it complete at least one write, then kill it at a varying point of the next ones.
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      await new Promise((r) => setTimeout(r, 5 + round * 13));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const report = JSON.parse(readFileSync(join(home, 'lanes', 'lane-1', 'report.json'), 'utf8')) as { end?: string; pad?: string };
      // Must NOT happen: a torn or half-written report.
      expect(report.end).toBe('complete');
      expect(report.pad).toHaveLength(2_000_000);
      // The events read back are whole and gap-free; a torn tail is cut off by the next append.
      const seqs = store.readEvents('lane-1').map((e) => e.seq);
      expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    }
    const last = store.readEvents('lane-1').length;
    expect(await store.appendEvents('lane-1', ev(last + 1))).toEqual({ appended: 1, lastSeq: last + 1 });
    expect(fileSeqs()).toEqual(Array.from({ length: last + 1 }, (_, i) => i + 1));
  }, 60_000);
});
