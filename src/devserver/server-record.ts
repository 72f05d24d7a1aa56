// Where the Temporal server that `lanes server` / `lanes up` started for this $LANES_HOME
// serves its HTTP API: it records itself in <home>/server.json, so the CLI's read commands
// (status, events, list) can take the HTTP fast path (src/client/http-api.ts) to it.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive } from '../shell/processes.js';

export interface ServerRecord {
  /** The gRPC frontend (what TEMPORAL_ADDRESS / --address names). */
  address: string;
  /** host:port of the HTTP API of the same frontend. */
  httpAddress: string;
  /** The server process: a record whose process is gone is ignored. */
  pid: number;
}

export function serverRecordPath(home: string): string {
  return join(home, 'server.json');
}

export function writeServerRecord(home: string, record: ServerRecord): void {
  writeFileSync(serverRecordPath(home), JSON.stringify(record, null, 2) + '\n');
}

/** Removes the record if it is this server's (another one may have replaced it). */
export function removeServerRecord(home: string, pid: number): void {
  if (readServerRecord(home, { requireAlive: false })?.pid === pid) rmSync(serverRecordPath(home), { force: true });
}

function isRecord(v: unknown): v is ServerRecord {
  const r = v as Partial<ServerRecord> | null;
  return !!r && typeof r.address === 'string' && typeof r.httpAddress === 'string' && Number.isInteger(r.pid);
}

/** The running server's record, or null (none, unreadable, or its process is gone). */
export function readServerRecord(home: string, opts: { requireAlive?: boolean } = {}): ServerRecord | null {
  const file = serverRecordPath(home);
  if (!existsSync(file)) return null;
  try {
    const r = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    if (!isRecord(r)) return null;
    return opts.requireAlive === false || isAlive(r.pid) ? r : null;
  } catch {
    return null;
  }
}

/** host:port with the loopback spellings made one, so `localhost:7233` finds a server recorded as `127.0.0.1:7233`. */
export function sameAddress(a: string, b: string): boolean {
  const norm = (s: string) => s.trim().replace(/^(localhost|\[::1\]|::1):/i, '127.0.0.1:');
  return norm(a) === norm(b);
}
