// Resource caps, each with a real command or file: test logs are capped, write_file and
// edit_file refuse oversized files, packets over the size limit are refused before they are
// read, and a test that outlives its time limit has its whole process group killed. Also:
// without a sandbox on the host, lane commands are refused, never run unconfined.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestActivities } from '../../../src/activities/tests.js';
import { loadPacketFile, MAX_PACKET_BYTES, parsePacket } from '../../../src/packet/parse.js';
import { MAX_WRITE_BYTES } from '../../../src/tools/files.js';
import { runTool } from '../../../src/tools/run-tool.js';
import { processesWithCmdline } from '../../support/processes.js';

let home: string;
let wt: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'lanes-caps-'));
  wt = join(home, 'worktrees', 'lane-1');
  mkdirSync(wt, { recursive: true });
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

const acceptance = (run: string, timeoutMs = 20_000) => ({ laneId: 'lane-1', cwd: wt, level: 'targeted' as const, commands: [{ name: 'c', run }], timeoutMs, attemptKey: 'k' });

describe('resource caps', () => {
  it('a test printing without end has its log capped; the tail still shows the end', async () => {
    const acts = createTestActivities({ home, logLimitChars: 50_000 });
    const r = await acts.runAcceptance(acceptance('i=0; while [ $i -lt 40000 ]; do echo "line $i"; i=$((i+1)); done; echo LAST-LINE'));
    const log = readFileSync(r.results[0]!.logPath, 'utf8');
    expect(log.length).toBeLessThan(50_200);
    expect(log).toContain('[lanes: log capped at 50000 characters');
    expect(log).not.toContain('LAST-LINE');
    expect(r.results[0]!.tail).toContain('LAST-LINE');
  });

  it('a test over its time limit is killed with everything it started', async () => {
    const r = await createTestActivities({ home }).runAcceptance(acceptance('(sleep 3.0519; touch late) & sleep 3.0520', 500));
    expect(r.results[0]).toMatchObject({ timedOut: true, exitCode: null });
    expect(await processesWithCmdline('sleep 3.05')).toEqual([]);
    await new Promise((res) => setTimeout(res, 3_200));
    expect(existsSync(join(wt, 'late'))).toBe(false);
  });

  it('write_file and edit_file refuse a file over the size limit and write nothing', async () => {
    const big = 'x'.repeat(MAX_WRITE_BYTES + 1);
    const w = await runTool({ root: wt, call: { id: 'w', name: 'write_file', input: { path: 'big.txt', content: big } }, permissionMode: 'workspace_write', sandbox: { home } });
    expect(w.refused?.class).toBe('manifest');
    expect(w.output).toMatch(/over the 5000000-byte limit/);
    expect(existsSync(join(wt, 'big.txt'))).toBe(false);
    writeFileSync(join(wt, 'small.txt'), 'SEED');
    const e = await runTool({ root: wt, call: { id: 'e', name: 'edit_file', input: { path: 'small.txt', old_string: 'SEED', new_string: big } }, permissionMode: 'workspace_write', sandbox: { home } });
    expect(e.refused?.class).toBe('manifest');
    expect(readFileSync(join(wt, 'small.txt'), 'utf8')).toBe('SEED');
  });

  it('a packet over the size limit is refused, from text and from a file, before it is decoded', async () => {
    const huge = JSON.stringify({ objective: 'x'.repeat(MAX_PACKET_BYTES) });
    expect(() => parsePacket(huge, { source: 'p.json' })).toThrow(new RegExp(`p\\.json: the packet is \\d+ bytes; allowed: at most ${MAX_PACKET_BYTES} bytes`));
    const file = join(home, 'huge.json');
    writeFileSync(file, huge);
    await expect(loadPacketFile(file)).rejects.toThrow(/huge\.json: the packet is \d+ bytes/);
    expect(statSync(file).size).toBeGreaterThan(MAX_PACKET_BYTES);
  });
});

describe('fail closed', () => {
  it('on a host where the sandbox cannot be built (no unshare on PATH), a lane command is refused with a hint and nothing runs', async () => {
    const { execa } = await import('execa');
    const marker = join(wt, 'ran-unconfined');
    const script = `
      const { runSandboxed } = await import(${JSON.stringify(new URL('../../../dist/sandbox/index.js', import.meta.url).href)});
      try {
        await runSandboxed({ home: ${JSON.stringify(home)}, root: ${JSON.stringify(wt)}, permissionMode: 'workspace_write', command: 'touch ${marker}', timeoutMs: 5000 });
        console.log('RAN');
      } catch (e) { console.log(JSON.stringify({ name: e.name, message: e.message, hint: e.hint })); }`;
    const r = await execa(process.execPath, ['--input-type=module', '-e', script], { env: { PATH: join(home, 'no-tools') }, extendEnv: false, reject: false });
    const out = JSON.parse(r.stdout) as { name: string; message: string; hint: string };
    expect(out.name).toBe('SandboxRefused');
    expect(out.message).toMatch(/no OS sandbox for lane commands/);
    expect(out.hint).toMatch(/lanes doctor/);
    expect(existsSync(marker)).toBe(false);
  });
});
