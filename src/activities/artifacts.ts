// The lane artifact folder `$LANES_HOME/lanes/<laneId>/`: events.jsonl, report.json,
// tool results, test logs. Workflow history carries references; the bulk lives here.
// Every write goes through redaction (src/redact): secret values never reach these files.
//
// Writes are asynchronous: every open, write, fsync and rename runs on libuv's threadpool,
// so a disk flush never stops the worker's event loop (workflow tasks, heartbeats, the
// other lanes). A write resolves once its content is on disk, so an activity that awaits
// it completes only with its artifact durable, as before. Writes to one file run one at
// a time in call order (writeQueue): an append is read-last-seq-then-write and two
// activities of the same worker must never interleave it. Reads stay synchronous: the
// files are small and page-cached.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';
import type { z } from 'zod';
import { writeFileAtomicAsync } from '../atomic-file.js';
import { serialByKey } from '../serial-by-key.js';
import { laneFailure } from '../failures.js';
import { redact, redactDeep } from '../redact/secrets.js';

export const EVENTS_FILE = 'events.jsonl';
export const REPORT_FILE = 'report.json';

/** Anything appended to events.jsonl; the full envelope is defined by the events module. */
export interface SequencedEvent {
  seq: number;
}

export interface AppendEventsResult {
  /** How many of the given events were new and written. */
  appended: number;
  /** The last seq in the file after the call (undefined when the file is still empty). */
  lastSeq: number | undefined;
}

export interface ArtifactStore {
  readonly home: string;
  /** Absolute path of `${home}/lanes/<laneId>`. */
  laneDir(laneId: string): string;
  /** Absolute path of a file inside the lane folder; refuses paths that leave it. */
  pathOf(laneId: string, relPath: string): string;
  /** Atomically and durably writes `value` as pretty JSON; resolves to the absolute path once it is on disk. */
  writeJson(laneId: string, relPath: string, value: unknown): Promise<string>;
  /** Atomically and durably writes text; resolves to the absolute path once it is on disk. */
  writeText(laneId: string, relPath: string, text: string): Promise<string>;
  /**
   * A JSON artifact, undefined when absent. With `schema` (idempotency records a retry
   * trusts) the content is parsed with it: a corrupt record fails clearly instead of
   * replaying a wrong result.
   */
  readJson<T>(laneId: string, relPath: string, schema?: z.ZodType<T>): T | undefined;
  readText(laneId: string, relPath: string): string | undefined;
  exists(laneId: string, relPath: string): boolean;
  /** Appends one line (a newline is added) and fsyncs; for small logs such as refusals.jsonl. */
  appendLine(laneId: string, relPath: string, line: string): Promise<void>;
  /**
   * Appends events to events.jsonl keeping seq gap-free and duplicate-free: events at or
   * below the last recorded seq are skipped (a retry after a crash), the first new one must
   * be exactly last+1. A torn last line (crash mid-append) is cut off before appending.
   * An empty file accepts any starting seq (a lane folder recreated on a new host).
   */
  appendEvents(laneId: string, events: readonly SequencedEvent[]): Promise<AppendEventsResult>;
  /** Events with seq > afterSeq (all when omitted), in file order. */
  readEvents<E extends SequencedEvent = SequencedEvent>(laneId: string, afterSeq?: number): E[];
}

const SAFE_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

/** Lane ids and file-name keys become path segments, so they must be plain names. */
export function assertSafeSegment(kind: string, value: string): void {
  if (!SAFE_SEGMENT.test(value) || value.includes('..')) {
    throw laneFailure('workspace_mismatch', `${kind} ${JSON.stringify(value)} is not a safe path segment`, {
      hint: 'Use letters, digits, ".", "_" and "-" only (starting with a letter or digit, no "..").',
    });
  }
}

/** `folder` is the artifact root under home: `lanes` (lane folders) or `runs` (run folders). */
export function createArtifactStore({ home, folder = 'lanes' }: { home: string; folder?: 'lanes' | 'runs' }): ArtifactStore {
  const lanesRoot = join(home, folder);

  const laneDir = (laneId: string): string => {
    assertSafeSegment('lane id', laneId);
    return join(lanesRoot, laneId);
  };

  const pathOf = (laneId: string, relPath: string): string => {
    const norm = normalize(relPath);
    if (relPath === '' || isAbsolute(relPath) || norm === '..' || norm.startsWith(`..${sep}`) || norm === '.') {
      throw laneFailure('workspace_mismatch', `artifact path ${JSON.stringify(relPath)} for lane ${laneId} leaves the lane folder`, {
        hint: 'Pass a relative path inside the lane folder, such as "tools/3-call_1.json".',
      });
    }
    return join(laneDir(laneId), norm);
  };

  const readText = (laneId: string, relPath: string): string | undefined => {
    const p = pathOf(laneId, relPath);
    try {
      return readFileSync(p, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw laneFailure('infra', `could not read ${p}: ${(err as Error).message}`, {}, err as Error);
    }
  };

  const appendLine = async (laneId: string, relPath: string, line: string): Promise<void> => {
    const p = pathOf(laneId, relPath);
    const safe = redact(line);
    return writeQueue(p, async () => {
      await mkdir(dirname(p), { recursive: true });
      const fh = await open(p, 'a');
      try {
        await fh.writeFile(safe.endsWith('\n') ? safe : `${safe}\n`);
        await fh.sync();
      } finally {
        await fh.close();
      }
    });
  };

  return {
    home,
    laneDir,
    pathOf,
    async writeJson(laneId, relPath, value) {
      const p = pathOf(laneId, relPath);
      const text = `${JSON.stringify(redactDeep(value), null, 2)}\n`;
      return writeQueue(p, async () => {
        await writeFileAtomicAsync(p, text);
        return p;
      });
    },
    async writeText(laneId, relPath, text) {
      const p = pathOf(laneId, relPath);
      const safe = redact(text);
      return writeQueue(p, async () => {
        await writeFileAtomicAsync(p, safe);
        return p;
      });
    },
    readJson<T>(laneId: string, relPath: string, schema?: z.ZodType<T>): T | undefined {
      const text = readText(laneId, relPath);
      if (text === undefined) return undefined;
      const hint = 'Artifacts are written atomically, so this file was changed by hand or by another program; restore it, or delete it to let the step run again.';
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (err) {
        throw laneFailure('infra', `artifact ${pathOf(laneId, relPath)} is not valid JSON: ${(err as Error).message}`, { hint });
      }
      if (!schema) return value as T;
      const parsed = schema.safeParse(value);
      if (!parsed.success) {
        const first = parsed.error.issues[0];
        const where = first && first.path.length > 0 ? first.path.join('.') : '(root)';
        throw laneFailure('infra', `artifact ${pathOf(laneId, relPath)} is corrupt: ${where}: ${first?.message ?? 'invalid'}`, { hint });
      }
      return parsed.data;
    },
    readText,
    exists(laneId, relPath) {
      return existsSync(pathOf(laneId, relPath));
    },
    appendLine,
    async appendEvents(laneId, events) {
      const p = pathOf(laneId, EVENTS_FILE);
      checkBatch(laneId, events);
      return writeQueue(p, () => appendEventsTo(p, laneId, events));
    },
    readEvents<E extends SequencedEvent = SequencedEvent>(laneId: string, afterSeq?: number): E[] {
      const text = readText(laneId, EVENTS_FILE);
      if (!text) return [];
      // A line without its newline is a torn append; the next appendEvents rewrites it.
      const complete = text.endsWith('\n') ? text : text.slice(0, text.lastIndexOf('\n') + 1);
      const out: E[] = [];
      for (const line of complete.split('\n')) {
        if (!line) continue;
        const ev = JSON.parse(line) as E;
        if (afterSeq === undefined || ev.seq > afterSeq) out.push(ev);
      }
      return out;
    },
  };
}

function checkBatch(laneId: string, events: readonly SequencedEvent[]): void {
  for (let i = 0; i < events.length; i++) {
    const seq = events[i]!.seq;
    if (!Number.isSafeInteger(seq) || seq < 0) {
      throw laneFailure('infra', `event ${i} for lane ${laneId} has invalid seq ${String(seq)}`, {
        hint: 'Every event needs a non-negative integer seq.',
      });
    }
    if (i > 0 && seq !== events[i - 1]!.seq + 1) {
      throw laneFailure('infra', `events for lane ${laneId} are not consecutive: seq ${events[i - 1]!.seq} is followed by ${seq}`, {
        hint: 'Pass events in seq order without gaps.',
      });
    }
  }
}

/**
 * Writes to one file run in call order, one at a time, so an append never interleaves with
 * another. Module-wide: every store of the worker shares it.
 */
const writeQueue = serialByKey();

async function appendEventsTo(p: string, laneId: string, events: readonly SequencedEvent[]): Promise<AppendEventsResult> {
  await mkdir(dirname(p), { recursive: true });
  const fh = await open(p, existsSync(p) ? 'r+' : 'w+');
  try {
    const lastSeq = await lastSeqAfterRepair(fh, p);
    const fresh = lastSeq === undefined ? [...events] : events.filter((e) => e.seq > lastSeq);
    const first = fresh[0];
    if (!first) return { appended: 0, lastSeq };
    if (lastSeq !== undefined && first.seq !== lastSeq + 1) {
      throw laneFailure('infra', `events.jsonl of lane ${laneId} ends at seq ${lastSeq}; appending seq ${first.seq} would leave a gap`, {
        lastSeq,
        hint: `Record the events from seq ${lastSeq + 1} on, in order.`,
      });
    }
    const text = fresh.map((e) => JSON.stringify(redactDeep(e))).join('\n') + '\n';
    const buf = Buffer.from(text, 'utf8');
    const end = (await fh.stat()).size;
    let off = 0;
    while (off < buf.length) off += (await fh.write(buf, off, buf.length - off, end + off)).bytesWritten;
    await fh.sync();
    return { appended: fresh.length, lastSeq: fresh[fresh.length - 1]!.seq };
  } finally {
    await fh.close();
  }
}

const TAIL_CHUNK = 64 * 1024;

/**
 * The seq of the last complete line. A trailing fragment without newline is what a crash
 * mid-append leaves; it is truncated so the retry writes the event whole.
 */
async function lastSeqAfterRepair(fh: FileHandle, path: string): Promise<number | undefined> {
  let size = (await fh.stat()).size;
  if (size === 0) return undefined;
  // Read backwards until the chunk holds the last complete line.
  let tail = Buffer.alloc(0);
  let pos = size;
  for (;;) {
    const len = Math.min(TAIL_CHUNK, pos);
    pos -= len;
    const chunk = Buffer.alloc(len);
    await fh.read(chunk, 0, len, pos);
    tail = Buffer.concat([chunk, tail]);
    const lastNl = tail.lastIndexOf(0x0a);
    if (lastNl !== tail.length - 1) {
      // Torn tail: cut it off at the last newline (or to empty).
      if (lastNl === -1 && pos > 0) continue;
      const keep = lastNl === -1 ? 0 : pos + lastNl + 1;
      await fh.truncate(keep);
      await fh.sync();
      size = keep;
      if (size === 0) return undefined;
      tail = tail.subarray(0, lastNl + 1);
    }
    const prevNl = tail.lastIndexOf(0x0a, tail.length - 2);
    if (prevNl === -1 && pos > 0) continue;
    const line = tail.subarray(prevNl + 1, tail.length - 1).toString('utf8');
    try {
      const seq = (JSON.parse(line) as Partial<SequencedEvent>).seq;
      if (typeof seq !== 'number') throw new TypeError('no numeric seq');
      return seq;
    } catch (err) {
      throw laneFailure('infra', `last line of ${path} is not an event: ${(err as Error).message}`, {
        hint: 'events.jsonl is append-only and written by Lanes; restore it from a backup or move it aside.',
      });
    }
  }
}

export interface ArtifactActivities {
  recordEvents(input: { laneId: string; events: SequencedEvent[] }): Promise<AppendEventsResult>;
  writeReport(input: { laneId: string; report: unknown }): Promise<{ path: string }>;
}

export function createArtifactActivities({ home }: { home: string }): ArtifactActivities {
  const store = createArtifactStore({ home });
  return {
    /**
     * Appends lane events to `lanes/<laneId>/events.jsonl`.
     * Failure semantics: idempotent per (laneId, seq) — a retry skips the events already on
     * disk and appends only the rest; a gap fails as `infra` with `lastSeq` in the details.
     */
    async recordEvents({ laneId, events }) {
      return await store.appendEvents(laneId, events);
    },
    /**
     * Writes the lane's final report to `lanes/<laneId>/report.json` (atomic replace).
     * Failure semantics: idempotent per laneId — a retry rewrites the same content and
     * returns the same path.
     */
    async writeReport({ laneId, report }) {
      return { path: await store.writeJson(laneId, REPORT_FILE, report) };
    },
  };
}
