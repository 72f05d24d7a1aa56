// The real stack for lane tests: the run's dev server, a `lanes worker` child
// process (or an in-process worker), the mock model server over HTTP, a temp
// LANES_HOME, and fixture git repos under a trusted root.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
// Needs one protobufjs instance shared with @temporalio/proto (package.json pins protobufjs 8 for that).
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import type { ResultPromise } from 'execa';
import { inject } from 'vitest';
import { createFixtureRepo, type FixtureRepo } from '../../src/demo/fixture-repo.js';
import { type MockModelServer, startMockModelServer } from '../../src/fixtures/mock-model-server.js';
import { uniqueTaskQueue } from './temporal.js';
import { assertValidEvents } from './events.js';
import { runCli, spawnCli, type CliResult } from './cli.js';

export interface LaneStack {
  home: string;
  /** Repos under here are trusted (LANES_TRUSTED_ROOTS). */
  reposDir: string;
  /** Repos under here are NOT trusted. */
  untrustedDir: string;
  taskQueue: string;
  mock: MockModelServer;
  client: Client;
  /** Environment for `lanes` child processes of this stack. */
  env: NodeJS.ProcessEnv;
  worker?: { proc: ResultPromise; lines: string[] };
  fixture(name: string, opts?: { trusted?: boolean; files?: Record<string, string> }): Promise<FixtureRepo>;
  writePacket(name: string, packet: unknown): string;
  cli(args: string[], opts?: { timeoutMs?: number }): Promise<CliResult>;
  startWorker(): Promise<void>;
  stopWorker(signal?: NodeJS.Signals): Promise<void>;
  stop(): Promise<void>;
}

/**
 * With LANES_RECORD_HISTORIES=<dir>, saves the histories of this stack's closed
 * workflows as replay fixtures (`npm run record-histories`; see docs/durability.md).
 */
export async function recordHistories(client: Client, taskQueue: string): Promise<void> {
  const dir = process.env.LANES_RECORD_HISTORIES;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  const query = `TaskQueue = '${taskQueue}' AND ExecutionStatus != 'Running'`;
  const seen = new Map<string, number>();
  for await (const { workflowId, history } of client.workflow.list({ query }).intoHistories()) {
    const n = (seen.get(workflowId) ?? 0) + 1;
    seen.set(workflowId, n);
    writeFileSync(join(dir, `${workflowId}${n > 1 ? `.run${n}` : ''}.json`), historyToJSON(history as Parameters<typeof historyToJSON>[0]));
  }
}

/** Validates every lanes/<id>/events.jsonl under home against schemas/lane-event.schema.json. */
export function assertEventFilesValid(home: string): number {
  const lanesDir = join(home, 'lanes');
  if (!existsSync(lanesDir)) return 0;
  let n = 0;
  for (const lane of readdirSync(lanesDir)) {
    const file = join(lanesDir, lane, 'events.jsonl');
    if (!existsSync(file)) continue;
    const events = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown);
    assertValidEvents(events);
    n += events.length;
  }
  return n;
}

export async function startLaneStack(opts: { worker?: boolean; workerArgs?: string[] } = {}): Promise<LaneStack> {
  const root = mkdtempSync(join(tmpdir(), 'lanes-stack-'));
  const home = join(root, 'home');
  const reposDir = join(root, 'repos');
  const untrustedDir = join(root, 'untrusted');
  for (const d of [home, reposDir, untrustedDir]) mkdirSync(d, { recursive: true });
  const taskQueue = uniqueTaskQueue('lanes');
  const mock = await startMockModelServer();
  const address = inject('temporalAddress');
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: inject('temporalNamespace') });
  const env: NodeJS.ProcessEnv = {
    LANES_HOME: home,
    TEMPORAL_ADDRESS: address,
    TEMPORAL_NAMESPACE: inject('temporalNamespace'),
    LANES_TASK_QUEUE: taskQueue,
    // A unique host id per stack: host queues never collide between test files.
    LANES_HOST_ID: `host-${taskQueue.slice(-8)}`,
    LANES_TRUSTED_ROOTS: reposDir,
    TEMPORAL_CLI_PATH: inject('temporalBinary'),
    ANTHROPIC_BASE_URL: mock.anthropicBaseURL,
    ANTHROPIC_API_KEY: 'test-key-not-secret',
    OPENAI_BASE_URL: mock.openaiBaseURL,
    OPENAI_API_KEY: 'test-key-not-secret',
  };
  const stack: LaneStack = {
    home,
    reposDir,
    untrustedDir,
    taskQueue,
    mock,
    client,
    env,
    async fixture(name, o = {}) {
      return createFixtureRepo(join(o.trusted === false ? untrustedDir : reposDir, name), o.files);
    },
    writePacket(name, packet) {
      const file = join(root, `${name}.json`);
      writeFileSync(file, JSON.stringify(packet, null, 2));
      return file;
    },
    cli: (args, o = {}) => runCli(args, { env, timeoutMs: o.timeoutMs }),
    async startWorker() {
      const w = await spawnCli(['worker', '--shutdown-grace-ms', '2000', ...(opts.workerArgs ?? [])], { env });
      stack.worker = { proc: w.proc, lines: w.lines };
    },
    async stopWorker(signal = 'SIGTERM') {
      if (!stack.worker) return;
      stack.worker.proc.kill(signal);
      await stack.worker.proc;
      stack.worker = undefined;
    },
    async stop() {
      // Every event any lane of this stack produced must match the shipped JSON Schema.
      assertEventFilesValid(home);
      await recordHistories(client, taskQueue);
      await stack.stopWorker();
      await mock.close();
      await connection.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
  if (opts.worker !== false) await stack.startWorker();
  return stack;
}

/** A packet for the calculator fixture whose agent is the mock model running `scenario`. */
export function mockPacket(id: string, repoPath: string, scenario: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    objective: `Add multiply(a, b) to src/math.js so the tests pass. [[mock:${scenario}]]`,
    repo: { path: repoPath, baseBranch: 'main' },
    acceptance: { targeted: ['node --test test/'], requiredLevel: 'merge_ready', timeoutMs: 60_000 },
    agent: { provider: 'anthropic', model: 'claude-sonnet-4-5', maxTurns: 6 },
    ...overrides,
  };
}
