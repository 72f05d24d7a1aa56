// Operational truth (issue 10): `lanes up` never claims a server it does not have and
// takes its server and worker down with it even on SIGKILL; `mcp check` always ends with
// a report; usage mistakes exit 2; the small CLI aids (logs, completion, list header)
// read the real thing. Real CLI child processes, real dev server, real MCP processes.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { execa } from 'execa';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../src/devserver/server.js';
import { runCli, spawnCli } from '../support/cli.js';
import { isRunningSoon } from '../support/processes.js';

const home = mkdtempSync(join(tmpdir(), 'lanes-optruth-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));
const env = { LANES_HOME: home, TEMPORAL_CLI_PATH: inject('temporalBinary') };

async function untilLine(lines: string[], pred: (v: any) => boolean, timeoutMs = 60_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const l of lines) {
      try {
        const v = JSON.parse(l);
        if (pred(v)) return v;
      } catch {
        // not JSON
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no matching line in: ${lines.join('\n')}`);
}

describe('lanes up', () => {
  it('exits 1 with a clear message when its --port is busy, and never prints a ready line', async () => {
    const busy: Server = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as { port: number }).port;
    try {
      const nothing = await freePort();
      const r = await runCli(['--json', '--address', `127.0.0.1:${nothing}`, 'up', '--port', String(port), '--headless'], { env, timeoutMs: 60_000 });
      expect(r.exitCode).toBe(1);
      const lines = r.stdout.trim().split('\n');
      const last = JSON.parse(lines.at(-1)!);
      expect(last.error.message).toBe(`port ${port} on 127.0.0.1 is already in use; the Temporal dev server was not started`);
      expect(last.error.hint).toContain('--port');
      // Must NOT: an up.ready (with a dead pid) or any other line before the error.
      expect(r.stdout).not.toContain('up.ready');
      expect(lines).toHaveLength(1);
    } finally {
      busy.close();
    }
  });

  it('takes its server and worker down with it when killed with SIGKILL', async () => {
    const port = await freePort();
    const { proc, ready, lines } = await spawnCli(['--address', `127.0.0.1:${port}`, 'up', '--port', String(port), '--headless', '--db', join(home, 'kill9.sqlite')], { env, readyTimeoutMs: 120_000 });
    expect(ready).toMatchObject({ event: 'up.ready', server: { address: `127.0.0.1:${port}` } });
    const serverPid: number = ready.server.pid;
    const worker = await untilLine(lines, (v) => v.event === 'worker.ready');
    expect(await isRunningSoon(serverPid)).toBe(true);
    proc.kill('SIGKILL');
    await proc;
    // Must NOT: a server or worker process left running after `up` is gone.
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && ((await isRunningSoon(serverPid)) || (await isRunningSoon(worker.pid)))) await new Promise((r) => setTimeout(r, 500));
    expect(await isRunningSoon(serverPid)).toBe(false);
    expect(await isRunningSoon(worker.pid)).toBe(false);
  });
});

describe('lanes mcp check', () => {
  it('a server that never answers still ends with a report within the deadline; an invalid entry exits 2', async () => {
    const dir = join(home, 'mcp');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'servers.json');
    writeFileSync(
      file,
      JSON.stringify({ servers: { silent: { command: process.execPath, args: ['-e', 'process.stdin.resume(); setInterval(() => {}, 1000)'], startupTimeoutMs: 60_000 }, broken: { command: 42 } } }),
    );
    const r = await runCli(['--json', 'mcp', 'check', file, '--deadline-ms', '3000'], { env, timeoutMs: 60_000 });
    expect(r.exitCode).toBe(2);
    const report = r.json();
    expect(report.failed.map((f: { name: string }) => f.name).sort()).toEqual(['broken', 'silent']);
    expect(report.failed.find((f: { name: string }) => f.name === 'silent').message).toContain("overall deadline of 3000 ms passed; it was killed");
    // Must NOT: the silent server left running.
    const left = await execa('pgrep', ['-f', 'setInterval\\(\\(\\) => \\{\\}, 1000\\)'], { reject: false });
    expect(left.stdout.trim()).toBe('');
  });
});

describe('small CLI truths', () => {
  it('`lanes <unknown> --help` exits 2 like `lanes <unknown>`, in text and JSON', async () => {
    const text = await runCli(['frobnicate', '--help'], { env });
    expect(text.exitCode).toBe(2);
    expect(text.stderr).toContain("unknown command 'frobnicate'");
    // Must NOT: the top-level help printed as if it succeeded.
    expect(text.stdout).not.toContain('Usage: lanes');
    const json = await runCli(['--json', 'mcp', 'nope', '-h'], { env });
    expect(json.exitCode).toBe(2);
    expect(json.json().error).toMatchObject({ class: 'usage', message: "unknown command 'nope' for lanes mcp" });
  });

  it('`lanes completion bash` completes commands, subcommands and option choices from the real command tree', async () => {
    const r = await runCli(['completion', 'bash'], { env });
    expect(r.exitCode).toBe(0);
    const script = join(home, 'lanes.bash');
    writeFileSync(script, r.stdout);
    const complete = async (...words: string[]) =>
      (await execa('bash', ['-c', `source ${script}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _lanes; echo "\${COMPREPLY[*]}"`])).stdout.trim().split(' ');
    expect(await complete('lanes', 'comp')).toEqual(['completion']);
    expect(await complete('lanes', 'mcp', '')).toContain('check');
    expect(await complete('lanes', 'logs', 'x', '--level', '')).toEqual(['targeted', 'package', 'workspace', 'merge_ready']);
    expect(await complete('lanes', 'submit', 'p.yaml', '--exit')).toEqual(['--exit-on-blocked']);
    const zsh = await runCli(['completion', 'zsh'], { env });
    expect(zsh.stdout).toContain('bashcompinit');
    const fish = await runCli(['completion', 'fish'], { env });
    expect(fish.exitCode).toBe(2);
  });

  it('`lanes logs` shows a lane folder\'s test and tool output with --level and --tail; an unknown lane is not_found', async () => {
    const dir = join(home, 'lanes', 'logged', 'tests');
    mkdirSync(dir, { recursive: true });
    mkdirSync(join(home, 'lanes', 'logged', 'tools'), { recursive: true });
    writeFileSync(join(dir, 'pass-1-run-1-targeted-0.log'), 'line 1\nline 2\nnot ok 2 - multiply multiplies\n');
    writeFileSync(join(dir, 'pass-1-run-1-targeted.json'), JSON.stringify({ results: [{ name: 'node --test test/', exitCode: 1 }] }));
    writeFileSync(join(home, 'lanes', 'logged', 'tools', '1-call_1.json'), JSON.stringify({ callId: 'call_1', name: 'bash', ok: true, output: 'hello\n', durationMs: 3 }));
    const r = await runCli(['--json', 'logs', 'logged', '--tail', '1'], { env });
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    const body = r.json();
    expect(body.logs).toHaveLength(2);
    expect(body.logs[0]).toMatchObject({ kind: 'test', level: 'targeted', name: 'node --test test/', exitCode: 1, lines: ['not ok 2 - multiply multiplies'], totalLines: 3 });
    expect(body.logs[1]).toMatchObject({ kind: 'tool', name: 'bash', lines: ['hello'] });
    const onlyPackage = await runCli(['--json', 'logs', 'logged', '--level', 'package'], { env });
    expect(onlyPackage.json().logs).toEqual([]);
    const text = await runCli(['logs', 'logged'], { env });
    expect(text.stdout).toContain('== tests/pass-1-run-1-targeted-0.log: targeted test "node --test test/" (pass-1-run-1), exit 1 ==');
    const missing = await runCli(['--json', 'logs', 'no-such-lane'], { env });
    expect(missing.exitCode).toBe(1);
    expect(missing.json().error).toMatchObject({ code: 'not_found' });
    expect(missing.json().error.hint).toMatch(/host whose worker ran the lane/);
    const empty = await runCli(['--json', 'logs', ''], { env });
    expect(empty.exitCode).toBe(2);
  });

  it('`lanes list` has a header row, an invalid --query is a usage error, `status ""` is a usage error, status/events of an unknown lane are not_found; errors are one JSON line with a hint', async () => {
    const server = { TEMPORAL_ADDRESS: inject('temporalAddress'), TEMPORAL_NAMESPACE: inject('temporalNamespace') };
    const bogus = await runCli(['--json', 'list', '--query', 'bogus ='], { env: { ...env, ...server } });
    expect(bogus.exitCode).toBe(2);
    expect(bogus.stdout.trim().split('\n')).toHaveLength(1);
    expect(bogus.json().error).toMatchObject({ class: 'usage', code: 'usage' });
    expect(bogus.json().error.message).toContain('--query "bogus =" is not a valid visibility query');
    const status = await runCli(['--json', 'status', ''], { env: { ...env, ...server } });
    expect(status.exitCode).toBe(2);
    expect(status.json().error.code).toBe('usage');
    // A lane that does not exist is not_found (its describe), never the error of the query sent beside it.
    for (const cmd of ['status', 'events']) {
      const missing = await runCli(['--json', cmd, 'no-such-lane'], { env: { ...env, ...server } });
      expect(missing.exitCode).toBe(1);
      expect(missing.json().error).toMatchObject({ code: 'not_found', message: 'no lane no-such-lane: workflow lane-no-such-lane does not exist', hint: 'Check the id with `lanes list`.' });
    }
    // A lane workflow nobody runs (no worker polls its queue) is enough for a row.
    const connection = await Connection.connect({ address: inject('temporalAddress') });
    const client = new Client({ connection, namespace: inject('temporalNamespace') });
    const workflowId = `lane-optruth-${Date.now()}`;
    await client.workflow.start('laneWorkflow', { taskQueue: `optruth-${Date.now()}`, workflowId, args: [] });
    try {
      let list = await runCli(['list', '--query', `WorkflowId = '${workflowId}'`], { env: { ...env, ...server } });
      for (let i = 0; i < 20 && list.stdout.startsWith('(no lanes)'); i++) {
        await new Promise((r) => setTimeout(r, 500));
        list = await runCli(['list', '--query', `WorkflowId = '${workflowId}'`], { env: { ...env, ...server } });
      }
      expect(list.exitCode).toBe(0);
      const [header, row] = list.stdout.trim().split('\n');
      expect(header).toMatch(/^LANE\s+STATE\s+GREEN\s+FAILURE\s+STARTED$/);
      expect(row).toMatch(new RegExp(`^${workflowId.slice('lane-'.length)}\\s`));
    } finally {
      await client.workflow.getHandle(workflowId).terminate('test cleanup');
      await connection.close();
    }
  });
});
