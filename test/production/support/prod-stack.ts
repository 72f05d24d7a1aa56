// Per-file stack on the production topology: worker hosts (each its own LANES_HOST_ID and
// LANES_HOME, all over mTLS), the mock model server, fixture repos, and the CLI as users run it.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { ResultPromise } from 'execa';
import { inject } from 'vitest';
import { createFixtureRepo, type FixtureRepo } from '../../../src/demo/fixture-repo.js';
import { type MockModelServer, startMockModelServer } from '../../../src/fixtures/mock-model-server.js';
import { runCli, spawnCli, type CliResult } from '../../support/cli.js';
import { uniqueTaskQueue } from '../../support/temporal.js';
import { assertValidEvents } from '../../support/events.js';

export interface Host {
  id: string;
  home: string;
  proc: ResultPromise;
  lines: string[];
  ready: { hostQueue: string; pid: number };
}

export interface ProdStack {
  root: string;
  reposDir: string;
  taskQueue: string;
  mock: MockModelServer;
  client: Client;
  /** Environment of `lanes` child processes: the server address and the worker client certificate. */
  env: NodeJS.ProcessEnv;
  hosts: Map<string, Host>;
  startHost(id: string, extraArgs?: string[]): Promise<Host>;
  killHost(id: string, signal?: NodeJS.Signals): Promise<void>;
  fixture(name: string): Promise<FixtureRepo>;
  writePacket(name: string, packet: unknown): string;
  cli(args: string[], opts?: { env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<CliResult>;
  /** The lane's report; on failure or timeout the error carries the lane's events. */
  result<T = { state: string; landed: boolean; commits: { step: string }[] }>(laneId: string, timeoutMs?: number): Promise<T>;
  stop(): Promise<void>;
}

/** Asks the suite's global setup to act on the shared server or PostgreSQL. */
export async function control(action: 'server/kill' | 'server/start' | 'postgres/restart'): Promise<void> {
  const r = await fetch(`${inject('prodControlUrl')}/${action}`, { method: 'POST' });
  if (!r.ok) throw new Error(`control ${action}: ${r.status} ${await r.text()}`);
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/**
 * Every lane's events.jsonl must be schema-valid. A re-homed lane wrote the start of its log
 * on one host and the rest on another: the union over all hosts (by seq) is the full log.
 */
function assertHostEventFilesValid(homes: readonly string[]): void {
  const byLane = new Map<string, Map<number, unknown>>();
  for (const home of homes) {
    const dir = join(home, 'lanes');
    if (!existsSync(dir)) continue;
    for (const lane of readdirSync(dir)) {
      const file = join(dir, lane, 'events.jsonl');
      if (!existsSync(file)) continue;
      const seen = byLane.get(lane) ?? new Map<number, unknown>();
      for (const line of readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
        const e = JSON.parse(line) as { seq: number };
        seen.set(e.seq, e);
      }
      byLane.set(lane, seen);
    }
  }
  for (const events of byLane.values()) assertValidEvents([...events.entries()].sort(([a], [b]) => a - b).map(([, e]) => e));
}

export async function startProdStack(): Promise<ProdStack> {
  const root = mkdtempSync(join(tmpdir(), 'lanes-prod-stack-'));
  const reposDir = join(root, 'repos');
  mkdirSync(reposDir, { recursive: true });
  const pki = inject('prodPki');
  const address = inject('prodAddress');
  const namespace = inject('prodNamespace');
  const taskQueue = uniqueTaskQueue('prod');
  const mock = await startMockModelServer();
  const connection = await Connection.connect({
    address,
    tls: { serverRootCACertificate: readFileSync(pki.caFile), clientCertPair: { crt: readFileSync(pki.clientCert), key: readFileSync(pki.clientKey) }, serverNameOverride: 'localhost' },
  });
  const client = new Client({ connection, namespace });
  const env: NodeJS.ProcessEnv = {
    LANES_HOME: join(root, 'client-home'),
    TEMPORAL_ADDRESS: address,
    TEMPORAL_NAMESPACE: namespace,
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: pki.caFile,
    TEMPORAL_TLS_CLIENT_CERT_PATH: pki.clientCert,
    TEMPORAL_TLS_CLIENT_KEY_PATH: pki.clientKey,
    TEMPORAL_TLS_SERVER_NAME: 'localhost',
    LANES_TASK_QUEUE: taskQueue,
    LANES_TRUSTED_ROOTS: reposDir,
    ANTHROPIC_BASE_URL: mock.anthropicBaseURL,
    ANTHROPIC_API_KEY: 'test-key-not-secret',
    OPENAI_BASE_URL: mock.openaiBaseURL,
    OPENAI_API_KEY: 'test-key-not-secret',
  };
  const hosts = new Map<string, Host>();
  const homes = new Set<string>();
  const stack: ProdStack = {
    root,
    reposDir,
    taskQueue,
    mock,
    client,
    env,
    hosts,
    async startHost(id, extraArgs = []) {
      const home = join(root, 'hosts', id);
      homes.add(home);
      const w = await spawnCli(['worker', '--shutdown-grace-ms', '1000', ...extraArgs], { env: { ...env, LANES_HOME: home, LANES_HOST_ID: `${id}-${taskQueue.slice(-6)}` } });
      const host: Host = { id, home, proc: w.proc, lines: w.lines, ready: w.ready };
      hosts.set(id, host);
      return host;
    },
    async killHost(id, signal = 'SIGKILL') {
      const h = hosts.get(id);
      if (!h) return;
      h.proc.kill(signal);
      await h.proc;
      hosts.delete(id);
    },
    fixture: (name) => createFixtureRepo(join(reposDir, name)),
    writePacket(name, packet) {
      const file = join(root, `${name}.json`);
      writeFileSync(file, JSON.stringify(packet, null, 2));
      return file;
    },
    cli: (args, o = {}) => runCli(args, { env: { ...env, ...o.env }, timeoutMs: o.timeoutMs }),
    async result<T>(laneId: string, timeoutMs = 150_000): Promise<T> {
      let timer: NodeJS.Timeout | undefined;
      try {
        return await Promise.race([
          client.workflow.getHandle(`lane-${laneId}`).result() as Promise<T>,
          new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`lane ${laneId} did not end within ${timeoutMs} ms`)), timeoutMs))),
        ]);
      } catch (e) {
        const events = (await runCli(['events', laneId], { env })).stdout;
        throw new Error(`${(e as Error).message}\nevents of ${laneId}:\n${events}`);
      } finally {
        clearTimeout(timer);
      }
    },
    async stop() {
      try {
        for (const id of [...hosts.keys()]) await stack.killHost(id, 'SIGTERM');
        assertHostEventFilesValid([...homes]);
      } finally {
        await mock.close();
        await connection.close();
        rmSync(root, { recursive: true, force: true });
      }
    },
  };
  return stack;
}
