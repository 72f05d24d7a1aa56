// Worker bootstrap: connects, registers workflows and activities, drains on signals.
import { hostname } from 'node:os';
import { DefaultLogger, NativeConnection, Runtime, Worker, makeTelemetryFilterString, type LogLevel } from '@temporalio/worker';
import { LanesError } from '../errors.js';
import { createActivities } from './activities.js';
import { workflowCodeOptions } from './bundle.js';

export interface LanesWorkerOptions {
  address: string;
  namespace: string;
  taskQueue: string;
  home: string;
  /** How long in-flight activities may finish after a shutdown signal. */
  shutdownGraceMs?: number;
  identity?: string;
}

export interface RunningWorker {
  worker: Worker;
  connection: NativeConnection;
  /** Resolves once the worker has drained and stopped. */
  run(): Promise<void>;
  shutdown(): void;
}

let runtimeInstalled = false;

/**
 * Process-wide Temporal runtime: JSON log lines on stderr and the signals that
 * start a graceful drain. Only for processes that host a worker as their job
 * (`lanes worker`, `lanes up`), never inside tests.
 */
export function installRuntime(level: LogLevel = 'INFO'): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({
    logger: new DefaultLogger(level, (e) =>
      process.stderr.write(JSON.stringify({ level: e.level, msg: e.message, ts: Number(e.timestampNanos / 1_000_000n), ...e.meta }) + '\n'),
    ),
    telemetryOptions: { logging: { forward: {}, filter: makeTelemetryFilterString({ core: 'WARN', other: 'ERROR' }) } },
    shutdownSignals: ['SIGINT', 'SIGTERM'],
  });
}

export async function createLanesWorker(opts: LanesWorkerOptions): Promise<RunningWorker> {
  let connection: NativeConnection;
  try {
    connection = await NativeConnection.connect({ address: opts.address });
  } catch (e) {
    throw new LanesError('unavailable', `cannot reach Temporal at ${opts.address}: ${(e as Error).message}`,
      'Start a server with `lanes server` (or `lanes up`), or point TEMPORAL_ADDRESS / --address at one.', 'infra');
  }
  const worker = await Worker.create({
    connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    ...workflowCodeOptions(),
    activities: createActivities({ home: opts.home }),
    identity: opts.identity ?? `lanes@${hostname()}:${process.pid}`,
    shutdownGraceTime: opts.shutdownGraceMs ?? 10_000,
    shutdownForceTime: (opts.shutdownGraceMs ?? 10_000) + 20_000,
  });
  return {
    worker,
    connection,
    async run() {
      try {
        await worker.run();
      } finally {
        await connection.close();
      }
    },
    shutdown: () => worker.shutdown(),
  };
}
