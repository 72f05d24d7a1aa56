// Worker bootstrap: connects, registers workflows and activities on the shared
// task queue and this host's own queue, drains on signals.
import { redactingActivityInterceptor, redactingCodec } from '../redact/codec.js';
import { declareSecretValue } from '../redact/secrets.js';
import { DefaultLogger, NativeConnection, Runtime, Worker, makeTelemetryFilterString, type LogLevel } from '@temporalio/worker';
import { hostname } from 'node:os';
import { defaultHostId, hostQueueName } from '../activities/host.js';
import type { AgentConfig } from '../activities/model.js';
import { sdkConnectionOptions } from '../connection/options.js';
import type { ConnectionSettings } from '../connection/settings.js';
import { LanesError } from '../errors.js';
import { closeGitHost, useGitHost } from '../git/git-host.js';
import { McpRegistry } from '../mcp/registry.js';
import { reapOrphanedGroups, recordProcessGroupsIn } from '../shell/group-records.js';
import type { FaultInjector } from '../faults/index.js';
import type { ModelProvider } from '../providers/types.js';
import { createActivities } from './activities.js';
import { workflowCodeOptions } from './bundle.js';
import { inflightDir, inflightInterceptor, processGroupsDir, reapOrphanedActivities, type ReapResult } from './inflight.js';
import { livenessInterceptor } from './liveness.js';
import { WORKER_TUNING } from './tuning.js';

export interface LanesWorkerOptions {
  /** Register the chaos activity that writes per-lane fault plans (chaos runs only). */
  allowChaos?: boolean;
  /** Kill points armed on this worker (drills, chaos); default NO_FAULTS. */
  faults?: FaultInjector;
  address: string;
  /** TLS / API key of the Temporal connection (plaintext when omitted). */
  connection?: ConnectionSettings;
  namespace: string;
  taskQueue: string;
  home: string;
  /** Repositories under these roots need no `lanes trust`; $LANES_HOME is always trusted. */
  trustedRoots?: readonly string[];
  /** Stable across restarts on one host, so a restarted worker serves its lanes again. */
  hostId?: string;
  /** How long in-flight activities may finish after a shutdown signal. */
  shutdownGraceMs?: number;
  identity?: string;
  provider?: (agent: AgentConfig) => ModelProvider;
  /**
   * How long a workflow task waits on this worker's sticky queue before any worker
   * may take it, ms (default 3000; the SDK's is 10000). After a crash this bounds
   * how long the lane's next decision waits for the dead worker.
   */
  stickyQueueTimeoutMs?: number;
}

export interface RunningWorker {
  workers: Worker[];
  connection: NativeConnection;
  hostQueue: string;
  /** Activity attempts of dead workers on this host that were failed at startup so they retry now. */
  reaped: ReapResult;
  /** Resolves once the workers have drained and stopped (MCP servers stopped too). */
  run(): Promise<void>;
  shutdown(): void;
}

let runtimeInstalled = false;

/**
 * Process-wide Temporal runtime: JSON log lines on stderr and the signals that
 * start a graceful drain. Only for processes that host a worker as their job
 * (`lanes worker`, `lanes up`, `lanes demo`), never inside tests.
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
  // git is spawned from a small child process, not forked from this big one (LANES_GIT_HOST=off: in-process).
  useGitHost();
  let connection: NativeConnection;
  try {
    connection = await NativeConnection.connect(sdkConnectionOptions(opts.address, opts.connection ?? {}));
  } catch (e) {
    throw new LanesError('unavailable', `cannot reach Temporal at ${opts.address}: ${(e as Error).message}`,
      'Start a server with `lanes server` (or `lanes up`), or point TEMPORAL_ADDRESS / --address at one.', 'infra');
  }
  // Connection secrets from flags or the config file are redacted like environment ones.
  if (opts.connection?.apiKey) declareSecretValue('TEMPORAL_API_KEY', opts.connection.apiKey.value);
  if (opts.connection?.tls?.keyFile) declareSecretValue('TEMPORAL_TLS_CLIENT_KEY', opts.connection.tls.keyFile.value);
  const hostId = opts.hostId ?? defaultHostId();
  const hostQueue = hostQueueName(opts.taskQueue, hostId);
  const mcpRegistry = new McpRegistry();
  const activities = createActivities({
    home: opts.home,
    hostQueue,
    hostId,
    trustedRoots: [opts.home, ...(opts.trustedRoots ?? [])],
    mcpRegistry,
    provider: opts.provider,
    allowChaos: opts.allowChaos,
    faults: opts.faults,
  });
  // Attempts a crashed predecessor left running are retried now, not after their timeouts.
  const inflight = inflightDir(opts.home, hostId);
  const reaped = await reapOrphanedActivities({ dir: inflight, connection, namespace: opts.namespace });
  // Test and bash process groups a crashed predecessor left running are killed now.
  const groups = processGroupsDir(opts.home, hostId);
  reapOrphanedGroups(groups);
  recordProcessGroupsIn(groups);
  const common = {
    connection,
    namespace: opts.namespace,
    activities,
    interceptors: { activity: [inflightInterceptor(inflight), livenessInterceptor(), () => redactingActivityInterceptor()] },
    // Secret values never reach the Temporal server (src/redact/codec.ts).
    dataConverter: { payloadCodecs: [redactingCodec] },
    stickyQueueScheduleToStartTimeout: opts.stickyQueueTimeoutMs ?? 3_000,
    ...WORKER_TUNING,
    identity: opts.identity ?? `lanes@${hostname()}:${process.pid}`,
    shutdownGraceTime: opts.shutdownGraceMs ?? 10_000,
    shutdownForceTime: (opts.shutdownGraceMs ?? 10_000) + 20_000,
  };
  // Shared queue: workflows and host claims. Host queue: everything bound to this host's disk.
  const shared = await Worker.create({ ...common, taskQueue: opts.taskQueue, ...workflowCodeOptions() });
  const host = await Worker.create({ ...common, taskQueue: hostQueue });
  const workers = [shared, host];
  return {
    workers,
    connection,
    hostQueue,
    reaped,
    async run() {
      try {
        await Promise.all(workers.map((w) => w.run()));
      } finally {
        await mcpRegistry.stopAll();
        await closeGitHost();
        await connection.close();
      }
    },
    shutdown: () => {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    },
  };
}
