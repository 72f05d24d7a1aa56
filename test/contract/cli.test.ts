// The CLI's output contract, exercised on the built binary as a child process.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { CHECK_NAMES } from '../../src/client/commands/doctor.js';
import { buildProgram } from '../../src/client/program.js';
import { freePort } from '../../src/devserver/server.js';
import { runCli, spawnCli } from '../support/cli.js';

const home = mkdtempSync(join(tmpdir(), 'lanes-cli-home-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

function commandPaths(cmd: Command, prefix: string[] = []): string[][] {
  return cmd.commands.flatMap((c) => [[...prefix, c.name()], ...commandPaths(c, [...prefix, c.name()])]);
}

describe('lanes CLI contract', () => {
  const paths = commandPaths(buildProgram('text'));

  it('knows at least the foundation commands', () => {
    const names = paths.map((p) => p.join(' '));
    for (const n of ['setup', 'server', 'worker', 'up', 'doctor']) expect(names).toContain(n);
  });

  it.each(paths.map((p) => [p.join(' '), p]))('`%s --help` exits 0 without contacting a server', async (_name, path) => {
    // An address where nothing listens: help must not try to connect.
    const r = await runCli([...(path as string[]), '--help'], { env: { LANES_HOME: home, TEMPORAL_ADDRESS: '127.0.0.1:1' } });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('Usage: lanes');
    expect(r.stderr).toBe('');
  });

  it('an unknown flag exits 2 with a clear message, in text and in JSON', async () => {
    const text = await runCli(['doctor', '--bogus-flag'], { env: { LANES_HOME: home } });
    expect(text.exitCode).toBe(2);
    expect(text.stderr).toMatch(/unknown option '--bogus-flag'/);
    const json = await runCli(['--json', 'doctor', '--bogus-flag'], { env: { LANES_HOME: home } });
    expect(json.exitCode).toBe(2);
    const body = json.json();
    expect(body.error.class).toBe('usage');
    expect(body.error.message).toMatch(/--bogus-flag/);
    expect(body.error.hint).toMatch(/--help/);
    // Must not: print a text message on stderr in JSON mode (automations parse stdout only).
    expect(json.stderr).toBe('');
  });

  it('an unknown command exits 2', async () => {
    const r = await runCli(['--output-format', 'json', 'frobnicate'], { env: { LANES_HOME: home } });
    expect(r.exitCode).toBe(2);
    expect(r.json().error.class).toBe('usage');
  });

  it('doctor --json parses and has every check, ok against the running server', async () => {
    const r = await runCli(['doctor', '--json'], { env: { LANES_HOME: home, TEMPORAL_ADDRESS: inject('temporalAddress'), TEMPORAL_CLI_PATH: inject('temporalBinary') } });
    const report = r.json();
    expect(report.checks.map((c: { name: string }) => c.name)).toEqual([...CHECK_NAMES]);
    for (const c of report.checks) {
      expect(['ok', 'warn', 'fail']).toContain(c.status);
      expect(typeof c.summary).toBe('string');
      expect(typeof c.details).toBe('object');
    }
    expect(report.checks.find((c: { name: string }) => c.name === 'server_reachable').status).toBe('ok');
    expect(report.checks.find((c: { name: string }) => c.name === 'search_attributes').status).toBe('ok');
    expect(report.ok).toBe(true);
    expect(r.exitCode).toBe(0);
  });

  it('doctor never prints credential values, only variable names', async () => {
    const secret = 'sk-test-DO-NOT-PRINT-0123456789';
    const r = await runCli(['doctor', '--json'], { env: { LANES_HOME: home, ANTHROPIC_API_KEY: secret, TEMPORAL_ADDRESS: inject('temporalAddress') } });
    expect(r.stdout).toContain('ANTHROPIC_API_KEY');
    expect(r.stdout).not.toContain(secret);
    expect(r.stderr).not.toContain(secret);
  });

  it('doctor with the server down reports fail for reachability and exits 1', async () => {
    const port = await freePort();
    const r = await runCli(['doctor', '--output-format', 'json'], { env: { LANES_HOME: home, TEMPORAL_ADDRESS: `127.0.0.1:${port}` } });
    expect(r.exitCode).toBe(1);
    const report = r.json();
    expect(report.ok).toBe(false);
    expect(report.checks.find((c: { name: string }) => c.name === 'server_reachable').status).toBe('fail');
  });

  it('server restarted keeps a workflow started before the restart', async () => {
    const port = await freePort();
    const uiPort = await freePort();
    const env = { LANES_HOME: home, TEMPORAL_CLI_PATH: inject('temporalBinary') };
    const args = ['server', '--port', String(port), '--ui-port', String(uiPort)];
    const first = await spawnCli(args, { env });
    expect(first.ready.event).toBe('server.ready');
    expect(first.ready.address).toBe(`127.0.0.1:${port}`);
    expect(first.ready.uiUrl).toBe(`http://127.0.0.1:${uiPort}`);
    expect(first.ready.dbFile).toBe(join(home, 'temporal', 'dev.sqlite'));
    // It records its HTTP API in the home, and the read commands there take it (no Temporal client).
    expect(first.ready.httpAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(JSON.parse(readFileSync(join(home, 'server.json'), 'utf8'))).toEqual({ address: first.ready.address, httpAddress: first.ready.httpAddress, pid: first.ready.pid });
    const missing = await runCli(['--json', '--address', `localhost:${port}`, 'status', 'not-a-lane'], { env: { ...env, LANES_DEBUG: '1' } });
    expect(missing.json().error.code).toBe('not_found');
    expect(missing.stderr).toContain(`over the HTTP API at ${first.ready.httpAddress} (recorded by the server in ${home})`);
    // Must NOT: the record steering a CLI aimed at another server.
    const elsewhere = await runCli(['--json', '--address', `127.0.0.1:${await freePort()}`, 'status', 'not-a-lane'], { env: { ...env, LANES_DEBUG: '1' } });
    expect(elsewhere.stderr).not.toContain('over the HTTP API');
    expect(elsewhere.json().error.code).toBe('unavailable');

    let connection = await Connection.connect({ address: first.ready.address });
    let client = new Client({ connection });
    const workflowId = `restart-${port}`;
    // No worker polls this queue: the workflow stays open across the restart.
    await client.workflow.start('pingWorkflow', { taskQueue: `restart-${port}`, workflowId, args: ['kept'] });
    await connection.close();

    first.proc.kill('SIGTERM');
    const stopped = await first.proc;
    expect(stopped.exitCode).toBe(0);
    expect(first.lines.some((l) => l.includes('server.stopped'))).toBe(true);
    // A stopped server's record goes with it.
    expect(existsSync(join(home, 'server.json'))).toBe(false);

    const second = await spawnCli(args, { env });
    try {
      connection = await Connection.connect({ address: second.ready.address });
      client = new Client({ connection });
      const desc = await client.workflow.getHandle(workflowId).describe();
      expect(desc.status.name).toBe('RUNNING');
      // Must not: the restart lost the custom search attributes.
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
      expect(Object.keys(customAttributes)).toEqual(expect.arrayContaining(['LaneState', 'LanePacketId']));
      await client.workflow.getHandle(workflowId).terminate('test done');
      await connection.close();
    } finally {
      second.proc.kill('SIGTERM');
      await second.proc;
    }
  });
});
