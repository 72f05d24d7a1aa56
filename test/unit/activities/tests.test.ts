import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { processesWithCmdline } from '../../support/processes.js';
import { createTestActivities, type AcceptanceInput } from '../../../src/activities/tests.js';

let home: string;
let wt: string;

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'lanes-tests-'));
  wt = join(home, 'worktrees', 'lane-1');
  mkdirSync(wt, { recursive: true });
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

const input = (commands: AcceptanceInput['commands'], extra: Partial<AcceptanceInput> = {}): AcceptanceInput => ({
  laneId: 'lane-1',
  cwd: wt,
  level: 'targeted',
  commands,
  timeoutMs: 30_000,
  attemptKey: 'a1',
  ...extra,
});

/** Whether `pid` is still a live process after a short wait (a killed child may linger as a zombie until reaped). */

describe('tests: runAcceptance', () => {
  it('passes when every command exits 0, capturing each log in the lane folder', async () => {
    const acts = createTestActivities({ home });
    const r = await acts.runAcceptance(
      input([
        { name: 'unit', run: 'echo unit-ok; echo to-stderr >&2' },
        { name: 'lint', run: 'pwd' },
      ]),
    );
    expect(r).toMatchObject({ level: 'targeted', passed: true, summary: 'targeted: 2/2 commands passed' });
    expect(r.results).toHaveLength(2);
    const [unit, lint] = r.results;
    expect(unit).toMatchObject({ name: 'unit', exitCode: 0, timedOut: false, logPath: join(home, 'lanes', 'lane-1', 'tests', 'a1-targeted-0.log') });
    expect(readFileSync(unit!.logPath, 'utf8')).toContain('unit-ok\n');
    expect(readFileSync(unit!.logPath, 'utf8')).toContain('to-stderr\n');
    expect(lint!.tail.trim()).toBe(wt);
    expect(JSON.parse(readFileSync(join(home, 'lanes', 'lane-1', 'tests', 'a1-targeted.json'), 'utf8'))).toEqual(r);
  });

  it('stops at the first failing command and does not run the rest', async () => {
    const acts = createTestActivities({ home });
    const r = await acts.runAcceptance(
      input([
        { name: 'first', run: 'true' },
        { name: 'broken', run: 'echo failing; exit 3' },
        { name: 'third', run: 'touch third-ran' },
      ]),
    );
    expect(r.passed).toBe(false);
    expect(r.results.map((x) => [x.name, x.exitCode])).toEqual([
      ['first', 0],
      ['broken', 3],
    ]);
    expect(r.summary).toBe('targeted: command 2/3 "broken" exited 3');
    expect(r.results[1]!.tail).toContain('failing');
    expect(existsSync(join(wt, 'third-ran'))).toBe(false);
    expect(existsSync(join(home, 'lanes', 'lane-1', 'tests', 'a1-targeted-2.log'))).toBe(false);
  });

  it('times out a command, kills its process group and fails the level', async () => {
    const acts = createTestActivities({ home });
    const started = Date.now();
    const r = await acts.runAcceptance(
      input([{ name: 'slow', run: '(sleep 2.0417; touch late-marker) & sleep 30', timeoutMs: 400 }, { name: 'never', run: 'touch never' }]),
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(r.passed).toBe(false);
    expect(r.results).toHaveLength(1);
    expect(r.results[0]).toMatchObject({ name: 'slow', timedOut: true, exitCode: null });
    expect(readFileSync(r.results[0]!.logPath, 'utf8')).toContain('timed out after 400 ms');
    // The command runs in a PID namespace, so its `$!` is not a host pid: look for it by command line.
    expect(await processesWithCmdline('sleep 2.0417')).toEqual([]);
    await sleep(2_200);
    expect(existsSync(join(wt, 'late-marker'))).toBe(false);
    expect(existsSync(join(wt, 'never'))).toBe(false);
  });

  it('keeps the whole output in the log and the last 2000 characters in the result', async () => {
    const acts = createTestActivities({ home });
    const r = await acts.runAcceptance(input([{ name: 'noisy', run: 'i=0; while [ $i -lt 3000 ]; do echo "line $i"; i=$((i+1)); done' }]));
    const log = readFileSync(r.results[0]!.logPath, 'utf8');
    expect(log.split('\n').filter(Boolean)).toHaveLength(3000);
    expect(log.startsWith('line 0\n')).toBe(true);
    expect(r.results[0]!.tail).toHaveLength(2000);
    expect(log.endsWith(r.results[0]!.tail)).toBe(true);
    expect(r.results[0]!.tail).not.toContain('line 0\n');
  });

  it('passes an empty command list trivially and says so', async () => {
    const acts = createTestActivities({ home });
    const r = await acts.runAcceptance(input([], { level: 'workspace' }));
    expect(r).toEqual({ level: 'workspace', passed: true, summary: 'workspace: no acceptance commands configured; passes trivially', results: [], ranInAttempt: 1 });
  });

  it('returns the saved result on a retry with the same attempt key without re-running', async () => {
    const acts = createTestActivities({ home });
    const cmd = [{ name: 'count', run: 'echo x >> runs.txt' }];
    const first = await acts.runAcceptance(input(cmd));
    const retry = await acts.runAcceptance(input(cmd));
    expect(retry).toEqual(first);
    expect(readFileSync(join(wt, 'runs.txt'), 'utf8')).toBe('x\n');
    await acts.runAcceptance(input(cmd, { attemptKey: 'a2' }));
    expect(readFileSync(join(wt, 'runs.txt'), 'utf8')).toBe('x\nx\n');
  });

  it('runs in the candidate worktree of the lane', async () => {
    const candidate = join(home, 'worktrees', 'lane-1.candidate');
    mkdirSync(candidate);
    const acts = createTestActivities({ home });
    const r = await acts.runAcceptance(input([{ name: 'where', run: 'pwd' }], { cwd: candidate, level: 'merge_ready' }));
    expect(r.passed).toBe(true);
    expect(r.results[0]!.tail.trim()).toBe(candidate);
  });

  it('refuses a cwd that is not the lane worktree or its candidate, running nothing', async () => {
    const acts = createTestActivities({ home });
    const other = join(home, 'worktrees', 'lane-2');
    mkdirSync(other);
    for (const cwd of [other, home, join(home, 'worktrees', 'lane-1.candidate')]) {
      const err = await acts.runAcceptance(input([{ name: 'x', run: 'touch ran' }], { cwd })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApplicationFailure);
      expect((err as ApplicationFailure).type).toBe('workspace_mismatch');
    }
    expect(existsSync(join(other, 'ran'))).toBe(false);
    expect(existsSync(join(home, 'ran'))).toBe(false);
    expect(existsSync(join(home, 'lanes'))).toBe(false);
  });

  it('heartbeats progress inside an activity and kills the command on cancel', async () => {
    const env = new MockActivityEnvironment();
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => {
      beats.push(d);
      if ((d as { index?: number }).index === 1 && beats.length >= 3) env.cancel('CANCELLED');
    });
    const acts = createTestActivities({ home, heartbeatIntervalMs: 50 });
    const err = await env
      .run(acts.runAcceptance, input([{ name: 'quick', run: 'sleep 0.3' }, { name: 'long', run: 'sleep 1; touch finished; sleep 30' }]))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CancelledFailure);
    expect(beats).toContainEqual({ level: 'targeted', index: 0, of: 2 });
    expect(beats).toContainEqual({ level: 'targeted', index: 1, of: 2 });
    await sleep(1_200);
    expect(existsSync(join(wt, 'finished'))).toBe(false);
    expect(readdirSync(join(home, 'lanes', 'lane-1', 'tests')).filter((f) => f.endsWith('.json'))).toEqual([]);
  });
});
