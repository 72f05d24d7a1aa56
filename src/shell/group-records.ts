// Process groups of test and bash commands are detached from the worker, so a
// SIGKILLed worker would leave them running. Each group is recorded on disk while
// it runs; the next worker on the same host kills the groups whose worker is dead.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { isAlive, processStartTime } from './processes.js';

const GroupRecordSchema = z.object({
  workerPid: z.number().int().positive(),
  pgid: z.number().int().positive(),
  /** Start time of the group leader: a reused pid is never mistaken for it. */
  startTime: z.string().optional(),
});
type GroupRecord = z.infer<typeof GroupRecordSchema>;

let recordDir: string | undefined;

/** Called by the worker at startup; until then groups are not recorded (CLI, tests). */
export function recordProcessGroupsIn(dir: string): void {
  mkdirSync(dir, { recursive: true });
  recordDir = dir;
}

/** Records a running group; the returned function forgets it (when it has exited). */
export function recordGroup(pgid: number): () => void {
  const dir = recordDir;
  if (!dir) return () => {};
  const file = join(dir, `${process.pid}-${pgid}.json`);
  const record: GroupRecord = { workerPid: process.pid, pgid, startTime: processStartTime(pgid) };
  try {
    writeFileSync(file, JSON.stringify(record));
  } catch {
    return () => {};
  }
  return () => rmSync(file, { force: true });
}

/** Kills (SIGKILL) every recorded group whose worker is gone; returns the pgids killed. */
export function reapOrphanedGroups(dir: string): number[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  const killed: number[] = [];
  for (const name of names) {
    const file = join(dir, name);
    let rec: GroupRecord;
    try {
      // A corrupt record could name any pid: it is dropped, never killed.
      rec = GroupRecordSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
    } catch {
      rmSync(file, { force: true });
      continue;
    }
    if (rec.workerPid !== process.pid && isAlive(rec.workerPid)) continue;
    const same = rec.startTime === undefined || processStartTime(rec.pgid) === rec.startTime;
    if (same && isAlive(rec.pgid)) {
      try {
        process.kill(-rec.pgid, 'SIGKILL');
        killed.push(rec.pgid);
      } catch {
        /* ESRCH: gone meanwhile */
      }
    }
    rmSync(file, { force: true });
  }
  return killed;
}
