import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isAlive } from '../../../src/shell/processes.js';
import { restartDelayMs, superviseWorker, type SupervisorEvent } from '../../../src/worker/supervisor.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lanes-supervisor-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A child that SIGKILLs itself on its first run (marker file absent), then stays up. */
function crashOnceScript(marker: string): string {
  return (
    `const fs = require('node:fs');` +
    `if (!fs.existsSync(${JSON.stringify(marker)})) { fs.writeFileSync(${JSON.stringify(marker)}, ''); process.kill(process.pid, 'SIGKILL'); }` +
    `console.log(JSON.stringify({ event: 'worker.ready', pid: process.pid }));` +
    `process.on('SIGTERM', () => process.exit(0)); setInterval(() => {}, 1000);`
  );
}

async function until(pred: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('worker/supervisor', () => {
  it.each([
    [1, 200],
    [2, 400],
    [3, 800],
    [6, 6_400],
    [7, 10_000],
    [20, 10_000],
  ])('restart %i waits %i ms (200 ms doubling, capped at 10 s)', (attempt, ms) => {
    expect(restartDelayMs(attempt)).toBe(ms);
  });

  it('restarts a child killed by SIGKILL, logs the restart, and on SIGTERM stops it and restarts nothing', async () => {
    const events: SupervisorEvent[] = [];
    const lines: string[] = [];
    const sup = superviseWorker({
      command: process.execPath,
      args: ['-e', crashOnceScript(join(dir, 'marker'))],
      log: (e) => events.push(e),
      onChildLine: (l) => lines.push(l),
    });
    await until(() => lines.length === 1);
    const restarted = events.filter((e) => e.event === 'worker.restarted');
    expect(restarted).toHaveLength(1);
    expect(restarted[0]).toMatchObject({ signal: 'SIGKILL', exitCode: null, attempt: 1, delayMs: 200 });
    const child = sup.childPid()!;
    expect(isAlive(child)).toBe(true);
    sup.stop('SIGTERM');
    expect(await sup.done).toBe(0);
    await until(() => !isAlive(child));
    expect(events.filter((e) => e.event === 'worker.spawned')).toHaveLength(2);
    expect(events.at(-1)).toMatchObject({ event: 'worker.supervisor.stopped', exitCode: 0 });
  });

  it('does not restart a child that exits with a usage error (code 2)', async () => {
    const events: SupervisorEvent[] = [];
    const sup = superviseWorker({ command: process.execPath, args: ['-e', 'process.exit(2)'], log: (e) => events.push(e), onChildLine: () => {} });
    expect(await sup.done).toBe(2);
    expect(events.map((e) => e.event)).toEqual(['worker.spawned', 'worker.gave_up', 'worker.supervisor.stopped']);
  });

  it('keeps restarting a child that keeps failing, with growing delays', async () => {
    const events: SupervisorEvent[] = [];
    const sup = superviseWorker({ command: process.execPath, args: ['-e', 'process.exit(1)'], initialDelayMs: 10, log: (e) => events.push(e), onChildLine: () => {} });
    await until(() => events.filter((e) => e.event === 'worker.restarted').length >= 3);
    sup.stop('SIGTERM');
    await sup.done;
    const delays = events.filter((e) => e.event === 'worker.restarted').map((e) => e.delayMs as number);
    expect(delays.slice(0, 3)).toEqual([10, 20, 40]);
    // Stopped means stopped: no spawn after the supervisor finished.
    const spawned = events.filter((e) => e.event === 'worker.spawned').length;
    await new Promise((r) => setTimeout(r, 200));
    expect(events.filter((e) => e.event === 'worker.spawned').length).toBe(spawned);
  });
});
