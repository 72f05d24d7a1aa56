import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { processStartTime } from '../../../src/shell/processes.js';
import { reapOrphanedGroups, recordProcessGroupsIn } from '../../../src/shell/group-records.js';
import { runProcessGroup } from '../../../src/shell/process-group.js';
import { isRunningSoon } from '../../support/processes.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lanes-pgroups-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A pid that surely belongs to no live process: a child that already exited. */
async function deadPid(): Promise<number> {
  const p = execa('true');
  await p;
  return p.pid!;
}

describe('shell/group-records', () => {
  it('a recorded group whose worker died is killed by the next worker; a live worker’s group is left alone', async () => {
    const orphan = execa('sleep', ['60'], { detached: true, reject: false });
    const kept = execa('sleep', ['60'], { detached: true, reject: false });
    try {
      const dead = await deadPid();
      writeFileSync(join(dir, `${dead}-${orphan.pid}.json`), JSON.stringify({ workerPid: dead, pgid: orphan.pid, startTime: processStartTime(orphan.pid!) }));
      writeFileSync(join(dir, `${process.pid}0-${kept.pid}.json`), JSON.stringify({ workerPid: process.ppid, pgid: kept.pid, startTime: processStartTime(kept.pid!) }));
      expect(reapOrphanedGroups(dir)).toEqual([orphan.pid]);
      expect(await isRunningSoon(orphan.pid!)).toBe(false);
      // Must not: kill a group whose worker is alive, or forget its record.
      expect(await isRunningSoon(kept.pid!)).toBe(true);
      expect(readdirSync(dir)).toEqual([`${process.pid}0-${kept.pid}.json`]);
    } finally {
      orphan.kill('SIGKILL');
      kept.kill('SIGKILL');
    }
  });

  it('never kills a process that only reuses a recorded pid (start time differs)', async () => {
    const other = execa('sleep', ['60'], { detached: true, reject: false });
    try {
      const dead = await deadPid();
      writeFileSync(join(dir, `${dead}-${other.pid}.json`), JSON.stringify({ workerPid: dead, pgid: other.pid, startTime: '1' }));
      expect(reapOrphanedGroups(dir)).toEqual([]);
      expect(await isRunningSoon(other.pid!)).toBe(true);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      other.kill('SIGKILL');
    }
  });

  it('a command group is recorded while it runs and forgotten when it ends', async () => {
    recordProcessGroupsIn(dir);
    const seen: string[][] = [];
    const r = await runProcessGroup({
      file: 'sh',
      args: ['-c', 'sleep 0.3; echo done'],
      cwd: dir,
      env: { PATH: process.env.PATH ?? '' },
      timeoutMs: 10_000,
      onOutput: () => seen.push(readdirSync(dir)),
    });
    expect(r.exitCode).toBe(0);
    expect(seen.at(-1)!.some((f) => f.startsWith(`${process.pid}-`))).toBe(true);
    expect(readdirSync(dir)).toEqual([]);
  });
});
