// What every benchmark runs against: a Temporal server (embedded dev server, or
// --address), the mock model over real HTTP, a fresh LANES_HOME, fixture repos
// under a trusted root, and `lanes worker` child processes (so they can be
// measured from /proc and SIGKILLed from outside like a real crash).
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { execa, type ResultPromise } from 'execa';
import { requireTemporalBinary } from '../devserver/provision.js';
import { type DevServer, freePort, startDevServer } from '../devserver/server.js';
import { writeServerRecord } from '../devserver/server-record.js';
import { type MockModelServer, startMockModelServer } from '../fixtures/mock-model-server.js';
import { WORKER_NODE_FLAGS, WORKER_PROCESS_ENV } from '../worker/tuning.js';

export const LANES_BIN = fileURLToPath(new URL('../../bin/lanes.js', import.meta.url));

export interface WorkerProc {
  hostId: string;
  pid: number;
  proc: ResultPromise;
  /** ms since epoch when its worker.ready line arrived. */
  readyAt: number;
  /** Resolves when the process has exited. */
  exited: Promise<unknown>;
}

export interface BenchStack {
  root: string;
  home: string;
  reposDir: string;
  address: string;
  namespace: string;
  taskQueue: string;
  mock: MockModelServer;
  client: Client;
  /** Environment for `lanes` child processes of this stack. */
  env: NodeJS.ProcessEnv;
  workers: WorkerProc[];
  startWorker(hostId: string): Promise<WorkerProc>;
  /** SIGTERM (drain) or SIGKILL (crash) one worker and wait for it to exit. */
  stopWorker(w: WorkerProc, signal?: NodeJS.Signals): Promise<void>;
  /** Stops everything; the temp folder stays when `keep` (or --keep) is set. */
  stop(keep?: boolean): Promise<void>;
}

export interface BenchStackOptions {
  address?: string;
  namespace?: string;
  keep?: boolean;
  /** Extra node flags for the worker processes only (profiling: --cpu-prof, --heapsnapshot-signal). */
  workerNodeArgs?: readonly string[];
}

export async function startBenchStack(opts: BenchStackOptions): Promise<BenchStack> {
  const root = mkdtempSync(join(tmpdir(), 'lanes-bench-'));
  const home = join(root, 'home');
  const reposDir = join(root, 'repos');
  for (const d of [home, reposDir]) mkdirSync(d, { recursive: true });
  let server: DevServer | undefined;
  let address = opts.address;
  const namespace = opts.namespace ?? 'default';
  if (!address) {
    const binary = await requireTemporalBinary({ install: false });
    server = await startDevServer({ binaryPath: binary.path, dbFile: join(root, 'temporal.sqlite'), port: await freePort(), namespace, readyTimeoutMs: 90_000 });
    address = server.address;
    // As `lanes server` does: the CLI processes of the benchmark find its HTTP API, as a user's would.
    writeServerRecord(home, { address, httpAddress: server.httpAddress, pid: server.pid });
  }
  const mock = await startMockModelServer();
  const connection = await Connection.connect({ address, connectTimeout: '30s' });
  const client = new Client({ connection, namespace });
  const taskQueue = `bench-${randomUUID().slice(0, 8)}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LANES_HOME: home,
    TEMPORAL_ADDRESS: address,
    TEMPORAL_NAMESPACE: namespace,
    LANES_TASK_QUEUE: taskQueue,
    LANES_TRUSTED_ROOTS: reposDir,
    ANTHROPIC_BASE_URL: mock.anthropicBaseURL,
    ANTHROPIC_API_KEY: 'bench-key-not-secret',
    OPENAI_BASE_URL: mock.openaiBaseURL,
    OPENAI_API_KEY: 'bench-key-not-secret',
  };
  const stack: BenchStack = {
    root,
    home,
    reposDir,
    address,
    namespace,
    taskQueue,
    mock,
    client,
    env,
    workers: [],
    async startWorker(hostId) {
      const w = await spawnWorker({ ...env, LANES_HOST_ID: `${taskQueue}-${hostId}` }, hostId, opts.workerNodeArgs ?? []);
      stack.workers.push(w);
      return w;
    },
    async stopWorker(w, signal = 'SIGTERM') {
      w.proc.kill(signal);
      await w.exited;
      stack.workers = stack.workers.filter((x) => x !== w);
    },
    async stop(keep = false) {
      for (const w of [...stack.workers]) await stack.stopWorker(w);
      await mock.close();
      await connection.close();
      await server?.stop();
      if (!opts.keep && !keep) rmSync(root, { recursive: true, force: true });
    },
  };
  return stack;
}

/** Starts `lanes worker` the way the supervisor does (its node flags and env) and waits for its worker.ready line. */
async function spawnWorker(env: NodeJS.ProcessEnv, hostId: string, nodeArgs: readonly string[]): Promise<WorkerProc> {
  const proc = execa(process.execPath, [...WORKER_NODE_FLAGS, ...nodeArgs, LANES_BIN, '--json', 'worker', '--shutdown-grace-ms', '1000'], {
    env: { ...WORKER_PROCESS_ENV, ...env },
    reject: false,
    buffer: false,
  });
  const exited = proc.then(() => undefined);
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const readyAt = await new Promise<number>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`worker ${hostId}: no worker.ready line within 120 s; stderr: ${stderr}`)), 120_000);
    proc.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('"worker.ready"')) {
        clearTimeout(timer);
        resolve(Date.now());
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`worker ${hostId} exited before it was ready; stderr: ${stderr}`));
    });
  });
  return { hostId, pid: proc.pid!, proc, readyAt, exited };
}
