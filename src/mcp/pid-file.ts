// A record of the stdio server processes a session has alive, so that a worker
// that restarts after a crash can kill the servers its predecessor left behind.
// The start time guards against killing an unrelated process that reused a pid.
import { readFileSync, rmSync } from 'node:fs';
import { writeFileAtomic } from '../atomic-file.js';
import { descendantPids, isAlive, processStartTime, terminateProcesses } from '../shell/processes.js';

export interface McpProcessRecord {
  server: string;
  pid: number;
  /** Linux start time in clock ticks; absent where /proc is unavailable. */
  startTime?: string;
}

export function writePidFile(path: string, records: readonly McpProcessRecord[]): void {
  if (records.length === 0) rmSync(path, { force: true });
  else writeFileAtomic(path, `${JSON.stringify(records, null, 2)}\n`);
}

export function readPidFile(path: string): McpProcessRecord[] {
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return Array.isArray(parsed) ? parsed.filter(isRecord) : [];
  } catch {
    return []; // missing or unreadable: nothing we can safely kill
  }
}

function isRecord(value: unknown): value is McpProcessRecord {
  const v = value as Partial<McpProcessRecord> | null;
  return typeof v === 'object' && v !== null && typeof v.server === 'string' && Number.isInteger(v.pid);
}

/**
 * Kills the recorded processes (and their descendants) that are still alive and
 * provably the same processes (same start time), then removes the file. Without
 * a start time to compare (non-Linux) nothing is killed. Returns the pids killed.
 */
export async function reapRecordedProcesses(path: string, graceMs = 1_000): Promise<number[]> {
  const records = readPidFile(path);
  const stale = records.filter((r) => r.startTime !== undefined && isAlive(r.pid) && processStartTime(r.pid) === r.startTime).map((r) => r.pid);
  const tree = stale.flatMap((pid) => [pid, ...descendantPids(pid)]);
  if (tree.length > 0) await terminateProcesses(tree, graceMs);
  rmSync(path, { force: true });
  return stale;
}
