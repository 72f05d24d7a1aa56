// The bench counts a worker's long-lived helpers (node running Lanes' own files, like
// the git host) in its RSS and CPU, and not the commands it runs (git, tests, sleep),
// nor a child caught between fork() and exec() (a copy of the worker itself).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { childPids, cpuMeter, cpuSeconds, helperPids, rssMb, samplePeakRss, withHelpers } from '../../../src/bench/proc-stats.js';

const root = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '');
const children: ChildProcess[] = [];
const strays: number[] = [];
const dirs: string[] = [];
const idle = 'setTimeout(() => {}, 20000)';

afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  for (const pid of strays.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A stand-in worker: its command line names a Lanes file, like `node bin/lanes.js worker`. */
const WORKER = `
const { spawn } = require('node:child_process');
const [, self, lanesFile, helperFile] = process.argv;
if (process.env.FORK_COPY) setTimeout(() => {}, 20000);
else {
  const idle = ${JSON.stringify(idle)};
  const kids = {
    helper: spawn(process.execPath, ['-e', idle, helperFile], { stdio: 'ignore' }),
    otherNode: spawn(process.execPath, ['-e', idle, '/tmp/not-lanes.js'], { stdio: 'ignore' }),
    sleeper: spawn('sleep', ['20'], { stdio: 'ignore' }),
    copy: spawn(process.execPath, [self, lanesFile, helperFile], { stdio: 'ignore', env: { ...process.env, FORK_COPY: '1' } }),
  };
  // Until node has exec'd, a child's comm is still the parent's: report once they run.
  setTimeout(() => console.log(JSON.stringify(Object.fromEntries(Object.entries(kids).map(([k, c]) => [k, c.pid])))), 400);
  setTimeout(() => {}, 20000);
}`;

describe.runIf(process.platform === 'linux')('bench process stats', () => {
  it('counts node children running a Lanes file as helpers, never other node or non-node children, nor a copy of the worker', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lanes-procstats-'));
    dirs.push(dir);
    const file = join(dir, 'worker.cjs');
    writeFileSync(file, WORKER);
    const worker = spawn(process.execPath, [file, `${root}/bin/lanes.js`, `${root}/dist/git/git-host-main.js`], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(worker);
    const kids = await new Promise<Record<'helper' | 'otherNode' | 'sleeper' | 'copy', number>>((resolve) => {
      worker.stdout!.once('data', (d: Buffer) => resolve(JSON.parse(d.toString())));
    });
    strays.push(...Object.values(kids));
    expect(childPids(worker.pid!).sort()).toEqual(Object.values(kids).sort());
    expect(helperPids(worker.pid!)).toEqual([kids.helper]);
    expect(withHelpers([worker.pid!])).toEqual([worker.pid, kids.helper]);
    expect(rssMb(kids.helper)).toBeGreaterThan(5);
    // One reading for both figures: with helpers is the worker plus the helper, never the other children.
    const peak = samplePeakRss(() => [worker.pid!], 50).stop();
    const all = Object.values(kids).reduce((t, p) => t + (rssMb(p) ?? 0), rssMb(worker.pid!)!);
    expect(peak.withHelpers - peak.alone).toBeGreaterThan(5);
    expect(peak.withHelpers).toBeLessThan(all - 5);
  });

  it('counts the CPU of a pid first seen after the first reading from zero, of one seen at the start from then', async () => {
    const pids: number[] = [];
    const meter = cpuMeter(() => pids);
    const late = spawn(process.execPath, ['-e', 'for (;;);'], { stdio: 'ignore' });
    children.push(late);
    // A loaded machine gives it little CPU: wait until it has burned some.
    for (let i = 0; i < 200 && (cpuSeconds(late.pid!) ?? 0) < 0.1; i++) await new Promise((r) => setTimeout(r, 50));
    pids.push(late.pid!);
    const fromNow = cpuMeter(() => pids);
    meter.sample();
    fromNow.sample();
    // The late process had burned CPU before it was first read: that counts for the first meter only.
    expect(meter.seconds()).toBeGreaterThanOrEqual(0.1);
    expect(fromNow.seconds()).toBeLessThan(0.1);
  });
});
