import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApplicationFailure } from '@temporalio/common';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isAlive, processStartTime } from '../../../src/shell/processes.js';
import { chaosPlanPath, createFaultInjector, type FaultInjector, faultRecordPath, FaultPlanSchema, NO_FAULTS, readFaultFirings } from '../../../src/faults/index.js';

let home: string;
// The injector under test; each test arms its own (there is no process-wide plan).
let faults: FaultInjector = NO_FAULTS;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'lanes-faults-'));
  faults = NO_FAULTS;
});
afterEach(() => {
  rmSync(home, { recursive: true, force: true });
});

const arm = (raw: unknown) => {
  faults = createFaultInjector({ plan: FaultPlanSchema.parse(raw) });
};

async function thrown(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('faults/inject', () => {
  it('does nothing and writes nothing without a plan', async () => {
    expect(createFaultInjector({})).toBe(NO_FAULTS);
    expect(createFaultInjector({ plan: [] })).toBe(NO_FAULTS);
    await createFaultInjector({}).point('mid_tests', { home, laneId: 'l1' });
    expect(existsSync(join(home, 'faults'))).toBe(false);
  });

  it('an armed injector does not arm any other: plans are handed to the activities, never global', async () => {
    const armed = createFaultInjector({ plan: FaultPlanSchema.parse([{ point: 'mid_tool', fault: 'throw', times: 5 }]) });
    const plain = createFaultInjector({});
    expect(await thrown(armed.point('mid_tool', { home, laneId: 'l1' }))).toBeInstanceOf(ApplicationFailure);
    // Must not: the unarmed injector (another worker in the same process) firing the plan.
    expect(await thrown(plain.point('mid_tool', { home, laneId: 'l1' }))).toBeUndefined();
    expect(readFaultFirings(home, 'l1')[0]?.firings).toHaveLength(1);
  });

  it('reads a chaos run\'s per-lane plan only when chaos plans are allowed', async () => {
    mkdirSync(join(home, 'faults', '.plans'), { recursive: true });
    writeFileSync(chaosPlanPath(home, 'c1'), JSON.stringify([{ point: 'after_commit', fault: 'throw' }]));
    // Must not: an ordinary worker honouring a plan file it finds on disk.
    expect(await thrown(createFaultInjector({}).point('after_commit', { home, laneId: 'c1' }))).toBeUndefined();
    const chaos = createFaultInjector({ chaosPlans: true });
    expect(await thrown(chaos.point('after_commit', { home, laneId: 'c1' }))).toBeInstanceOf(ApplicationFailure);
    // A lane without a plan file passes.
    expect(await thrown(chaos.point('after_commit', { home, laneId: 'c2' }))).toBeUndefined();
  });

  it('fires a throw fault `times` times per lane and point, then lets the point pass', async () => {
    arm([{ point: 'after_commit', fault: 'throw', class: 'provider_internal', times: 2 }]);
    const errs = [await thrown(faults.point('after_commit', { home, laneId: 'l1' })), await thrown(faults.point('after_commit', { home, laneId: 'l1' }))];
    for (const e of errs) {
      expect(e).toBeInstanceOf(ApplicationFailure);
      expect((e as ApplicationFailure).type).toBe('provider_internal');
    }
    expect(await thrown(faults.point('after_commit', { home, laneId: 'l1' }))).toBeUndefined();
    // Another lane has its own count.
    expect(await thrown(faults.point('after_commit', { home, laneId: 'l2' }))).toBeInstanceOf(ApplicationFailure);
    expect(readFaultFirings(home, 'l1')[0]?.firings).toHaveLength(2);
  });

  it('counts firings from disk, so a restarted worker (a fresh injector) does not fire again', async () => {
    arm([{ point: 'mid_tool', fault: 'throw' }]);
    expect(await thrown(faults.point('mid_tool', { home, laneId: 'l1' }))).toBeInstanceOf(ApplicationFailure);
    arm([{ point: 'mid_tool', fault: 'throw' }]);
    expect(await thrown(faults.point('mid_tool', { home, laneId: 'l1' }))).toBeUndefined();
  });

  it('a corrupt firing record fails clearly instead of firing the fault again', async () => {
    arm([{ point: 'after_commit', fault: 'throw', times: 1 }]);
    mkdirSync(join(home, 'faults', 'l1'), { recursive: true });
    writeFileSync(faultRecordPath(home, 'l1', 'after_commit'), JSON.stringify({ point: 'after_commit', laneId: 'l1', firings: [{ spec: 0 }] }));
    const e = await thrown(faults.point('after_commit', { home, laneId: 'l1' }));
    expect((e as ApplicationFailure).type).toBe('infra');
    // Must not: read as "never fired" (an injected failure) — the message names the record and field.
    expect((e as ApplicationFailure).message).toMatch(/after_commit\.json is corrupt: firings\.0\.fault/);
  });

  it('only fires for the plan lane and a matching context', async () => {
    arm([{ point: 'mid_tool', fault: 'throw', laneId: 'only', match: { tool: 'bash' } }]);
    expect(await thrown(faults.point('mid_tool', { home, laneId: 'other', tool: 'bash' }))).toBeUndefined();
    expect(await thrown(faults.point('mid_tool', { home, laneId: 'only', tool: 'read_file' }))).toBeUndefined();
    expect(await thrown(faults.point('mid_tests', { home, laneId: 'only', tool: 'bash' }))).toBeUndefined();
    expect(await thrown(faults.point('mid_tool', { home, laneId: 'only', tool: 'bash' }))).toBeInstanceOf(ApplicationFailure);
    expect(existsSync(faultRecordPath(home, 'other', 'mid_tool'))).toBe(false);
  });

  it('delays by delayMs, and shapes enospc and index_lock faults', async () => {
    const repo = join(home, 'repo');
    arm([
      { point: 'mid_tests', fault: 'delay', delayMs: 150 },
      { point: 'after_reply_saved', fault: 'enospc' },
      { point: 'mid_merge', fault: 'index_lock' },
    ]);
    const t0 = Date.now();
    await faults.point('mid_tests', { home, laneId: 'l1' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    const e = await thrown(faults.point('after_reply_saved', { home, laneId: 'l1' }));
    expect((e as ApplicationFailure).type).toBe('infra');
    expect((e as ApplicationFailure).message).toMatch(/ENOSPC/);
    await faults.point('mid_merge', { home, laneId: 'l1', repoPath: repo });
    expect(existsSync(join(repo, '.git', 'index.lock'))).toBe(true);
  });

  it('mcp_crash kills and mcp_hang stops the lane\'s recorded MCP server processes, and nothing else', async () => {
    const servers = [execa('sleep', ['30'], { reject: false }), execa('sleep', ['30'], { reject: false })];
    const bystander = execa('sleep', ['30'], { reject: false });
    const state = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[0];
    try {
      const [a, b] = servers.map((p) => p.pid!);
      mkdirSync(join(home, 'lanes', 'l1'), { recursive: true });
      writeFileSync(join(home, 'lanes', 'l1', 'mcp-pids.json'), JSON.stringify([{ server: 'echo', pid: a, startTime: processStartTime(a!) }]));
      arm([{ point: 'after_reply_saved', fault: 'mcp_hang' }, { point: 'mid_tool', fault: 'mcp_crash' }]);
      await faults.point('after_reply_saved', { home, laneId: 'l1' });
      // Signal delivery is asynchronous: give the kernel a moment.
      for (let i = 0; i < 50 && state(a!) !== 'T'; i++) await new Promise((r) => setTimeout(r, 20));
      expect(state(a!)).toBe('T');
      writeFileSync(join(home, 'lanes', 'l1', 'mcp-pids.json'), JSON.stringify([{ server: 'echo', pid: a, startTime: processStartTime(a!) }, { server: 'other', pid: b, startTime: processStartTime(b!) }]));
      await faults.point('mid_tool', { home, laneId: 'l1', tool: 'mcp__echo__echo' });
      const [ra, rb] = await Promise.all(servers);
      expect([ra?.signal, rb?.signal]).toEqual(['SIGKILL', 'SIGKILL']);
      expect(isAlive(bystander.pid!)).toBe(true);
    } finally {
      for (const p of [...servers, bystander]) p.kill('SIGKILL');
      await Promise.all([...servers, bystander]);
    }
  });

  it('crash SIGKILLs the process once; the next process with the same plan passes the point', async () => {
    const plan = join(home, 'plan.json');
    writeFileSync(plan, JSON.stringify([{ point: 'after_merge', fault: 'crash' }]));
    const mod = fileURLToPath(new URL('../../../dist/faults/index.js', import.meta.url));
    const script =
      `const f = await import(${JSON.stringify(mod)});` +
      `const faults = f.createFaultInjector({ plan: f.loadWorkerFaultPlan({ flag: ${JSON.stringify(plan)} }).plan });` +
      `await faults.point('after_merge', { home: ${JSON.stringify(home)}, laneId: 'l1' });` +
      `console.log('passed');`;
    const first = await execa(process.execPath, ['--input-type=module', '-e', script], { reject: false });
    expect(first.signal).toBe('SIGKILL');
    expect(first.stdout).not.toContain('passed');
    const second = await execa(process.execPath, ['--input-type=module', '-e', script], { reject: false });
    expect(second.exitCode).toBe(0);
    expect(second.stdout).toContain('passed');
    const record = JSON.parse(readFileSync(faultRecordPath(home, 'l1', 'after_merge'), 'utf8')) as { firings: { pid: number; fault: string }[] };
    expect(record.firings).toHaveLength(1);
    expect(record.firings[0]!.fault).toBe('crash');
  });
});
