// The guard kills an agent's process group when the worker that started it dies.
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { isAlive } from '../../../src/shell/processes.js';
import { guardedCommand } from '../../../src/shell/parent-guard.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('shell/parent-guard', () => {
  it('passes stdin, stdout and the exit code of the command through', async () => {
    const g = guardedCommand('/bin/sh', ['-c', 'cat; exit 3']);
    const r = await execa(g.file, g.args, { input: 'hello', reject: false });
    expect(r.stdout).toBe('hello');
    expect(r.exitCode).toBe(3);
  });

  it('kills the command (and its children) within a second once the watched process is gone', async () => {
    // A stand-in worker that we can SIGKILL, and a long-running "agent" under the guard.
    const worker = execa('sleep', ['60']);
    const g = guardedCommand('/bin/sh', ['-c', 'sleep 60 & echo $!; wait'], worker.pid);
    const agent = execa(g.file, g.args, { detached: true, reject: false, buffer: false });
    const grandchild = await new Promise<number>((resolve) => agent.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim()))));
    expect(isAlive(grandchild)).toBe(true);
    worker.kill('SIGKILL');
    await worker.catch(() => undefined);
    await sleep(1_500);
    // Must NOT happen: the agent or its child outliving the worker.
    expect(isAlive(agent.pid!)).toBe(false);
    expect(isAlive(grandchild)).toBe(false);
  });
});
