// The bench counts a worker's long-lived helpers (node running Lanes' own files, like
// the git host) in its RSS and CPU, and not the commands it runs (git, tests, sleep).
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { childPids, cpuMeter, helperPids, rssMb, withHelpers } from '../../../src/bench/proc-stats.js';

const root = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '');
const children: ChildProcess[] = [];
const start = (file: string, args: string[]) => {
  const c = spawn(file, args, { stdio: 'ignore' });
  children.push(c);
  return c.pid!;
};
const idle = 'setTimeout(() => {}, 20000)';

afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

describe.runIf(process.platform === 'linux')('bench process stats', () => {
  it('counts node children running a Lanes file as helpers, never other node or non-node children', async () => {
    const helper = start(process.execPath, ['-e', idle, `${root}/dist/git/git-host-main.js`]);
    const otherNode = start(process.execPath, ['-e', idle, '/tmp/not-lanes.js']);
    const sleeper = start('sleep', ['20']);
    // Until node has exec'd, the child's comm is still the parent's.
    await new Promise((r) => setTimeout(r, 300));
    expect(childPids(process.pid)).toEqual(expect.arrayContaining([helper, otherNode, sleeper]));
    expect(helperPids(process.pid)).toEqual([helper]);
    expect(withHelpers([process.pid])).toEqual([process.pid, helper]);
    expect(rssMb(helper)).toBeGreaterThan(5);
  });

  it('counts the CPU of a pid first seen after the first reading from zero, of one seen at the start from then', async () => {
    const pids: number[] = [];
    const meter = cpuMeter(() => pids);
    const late = start(process.execPath, ['-e', 'const t = Date.now(); while (Date.now() - t < 3000);']);
    await new Promise((r) => setTimeout(r, 600));
    pids.push(late);
    const fromNow = cpuMeter(() => pids);
    meter.sample();
    fromNow.sample();
    // The late process had burned CPU before it was first read: that counts for the first meter only.
    expect(meter.seconds()).toBeGreaterThanOrEqual(0.1);
    expect(fromNow.seconds()).toBeLessThan(meter.seconds());
  });
});
