// `lanes server --persistence postgres`: renders the config, migrates the schemas, runs the
// Temporal server, registers the namespace and the lane search attributes, stops cleanly.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { execa, type ResultPromise } from 'execa';
import { msToTs } from '@temporalio/common/lib/time.js';
import { stringify } from 'yaml';
import { sdkConnectionOptions } from '../connection/options.js';
import type { ConnectionSettings } from '../connection/settings.js';
import { ensureSearchAttributes } from '../devserver/server.js';
import type { ServerBinaries } from '../devserver/server-binaries.js';
import { LanesError } from '../errors.js';
import { type ClusterConfigInput, renderClusterConfig, renderDynamicConfig, servicePorts } from './config.js';
import { setupSchemas, type SchemaStep } from './schema.js';

export interface ClusterOptions extends Omit<ClusterConfigInput, 'dynamicConfigFile'> {
  binaries: ServerBinaries;
  /** Rendered config, dynamic config and the server log live here. */
  dir: string;
  namespace: string;
  /** Retention of closed workflows in a namespace this call creates. */
  retentionDays?: number;
  readyTimeoutMs?: number;
  onProgress?: (line: string) => void;
}

export interface RunningCluster {
  address: string;
  /** host:port of the frontend's HTTP API (rpc.httpPort). */
  httpAddress: string;
  namespace: string;
  configFile: string;
  logFile: string;
  pid: number;
  schema: SchemaStep[];
  exited: Promise<{ exitCode?: number; signal?: string }>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

const CONFIG_ENV = 'lanes';

/** Writes <dir>/config/lanes.yaml and <dir>/dynamicconfig.yaml; returns the config file. */
export function writeClusterConfig(dir: string, input: Omit<ClusterConfigInput, 'dynamicConfigFile'>): string {
  mkdirSync(join(dir, 'config'), { recursive: true });
  const dynamicConfigFile = join(dir, 'dynamicconfig.yaml');
  writeFileSync(dynamicConfigFile, stringify(renderDynamicConfig()));
  const configFile = join(dir, 'config', `${CONFIG_ENV}.yaml`);
  writeFileSync(configFile, stringify(renderClusterConfig({ ...input, dynamicConfigFile })), { mode: 0o600 });
  return configFile;
}

/** The connection the server itself uses for namespace setup: its own certificate doubles as a client certificate. */
function selfConnection(opts: ClusterOptions): ConnectionSettings {
  if (!opts.tls) return {};
  const s = (value: string) => ({ value, source: 'lanes server --tls-server-*' });
  return { tls: { caFile: s(opts.tls.caFile), certFile: s(opts.tls.certFile), keyFile: s(opts.tls.keyFile), serverName: opts.tls.serverName } };
}

async function retry<T>(what: string, deadline: number, fn: () => Promise<T>, isDead: () => string | undefined): Promise<T> {
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      const dead = isDead();
      if (dead) throw new LanesError('unavailable', `Temporal server exited during startup (${dead})`, undefined, 'infra');
      if (Date.now() > deadline) throw new LanesError('unavailable', `Temporal server: ${what} did not succeed in time: ${(e as Error).message.split('\n')[0]}`, undefined, 'infra');
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** Registers the namespace unless it exists, then the lane search attributes (both idempotent). */
async function ensureNamespace(connection: Connection, namespace: string, retentionDays: number, deadline: number, isDead: () => string | undefined): Promise<void> {
  const exists = await connection.workflowService.describeNamespace({ namespace }).then(() => true, () => false);
  if (!exists) {
    await retry('namespace registration', deadline, async () => {
      try {
        await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs(`${retentionDays} days`) });
      } catch (e) {
        if (!/already exists|AlreadyExists/i.test((e as Error).message)) throw e;
      }
    }, isDead);
  }
  // A new namespace reaches every service's namespace cache after a few seconds.
  await retry('search attribute registration', deadline, () => ensureSearchAttributes(connection, namespace), isDead);
}

export async function startCluster(opts: ClusterOptions): Promise<RunningCluster> {
  const ports = servicePorts(opts.port, opts.membershipPort);
  mkdirSync(opts.dir, { recursive: true });
  const schema = await setupSchemas(opts.binaries.sqlTool, opts.pg, opts.onProgress);
  const configFile = writeClusterConfig(opts.dir, opts);
  const logFile = join(opts.dir, 'server.log');
  const log = { file: logFile, append: true } as const;
  const proc: ResultPromise = execa(opts.binaries.server, ['--root', opts.dir, '--config', 'config', '--env', CONFIG_ENV, '--allow-no-auth', 'start'], {
    stdout: log, stderr: log, stdin: 'ignore', reject: false, cleanup: true,
  });
  let earlyExit: string | undefined;
  const exited = proc.then((r) => ({ exitCode: r.exitCode, signal: r.signal ?? undefined }));
  void exited.then((e) => (earlyExit = `code ${e.exitCode ?? e.signal}; see ${logFile}`));
  const address = `${opts.broadcastAddress}:${ports.frontend.grpcPort}`;
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 120_000);
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (earlyExit) return;
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    const connection = await retry('frontend', deadline, () => Connection.connect({ ...sdkConnectionOptions(address, selfConnection(opts)), connectTimeout: 2_000 }), () => earlyExit);
    try {
      await ensureNamespace(connection, opts.namespace, opts.retentionDays ?? 30, deadline, () => earlyExit);
    } finally {
      await connection.close();
    }
  } catch (e) {
    await stop('SIGKILL');
    throw e;
  }
  const httpAddress = `${opts.broadcastAddress}:${ports.frontend.httpPort}`;
  return { address, httpAddress, namespace: opts.namespace, configFile, logFile, pid: proc.pid!, schema, exited, stop };
}
