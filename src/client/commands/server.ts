// `lanes server`: the embedded Temporal dev server with persistent SQLite state, or
// (--persistence postgres) the Temporal server on PostgreSQL for production (docs/production.md).
import { join } from 'node:path';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { DEFAULT_SERVER_PORT, DEFAULT_UI_PORT, type LanesConfig } from '../../config.js';
import { DEFAULT_HISTORY_SHARDS, DEFAULT_MEMBERSHIP_PORT, renderClusterConfig } from '../../cluster/config.js';
import { parsePgUrl } from '../../cluster/pg-url.js';
import { startCluster } from '../../cluster/server.js';
import { requireTemporalBinary } from '../../devserver/provision.js';
import { provisionServerBinaries } from '../../devserver/server-binaries.js';
import { startDevServer } from '../../devserver/server.js';
import { removeServerRecord, writeServerRecord } from '../../devserver/server-record.js';
import { LanesError } from '../../errors.js';
import type { Output } from '../output.js';
import { action, intOption } from '../context.js';
import { serverTlsOf } from './server-tls.js';

export interface ServerFlags {
  port: number;
  uiPort: number;
  headless?: boolean;
  db?: string;
  persistence: 'sqlite' | 'postgres';
  pgUrl?: string;
  membershipPort: number;
  historyShards: number;
  bindIp: string;
  tlsServerCert?: string;
  tlsServerKey?: string;
  tlsServerCa?: string;
  tlsServerHost?: string;
}

/** What `lanes server` and `lanes up` run, whichever the persistence. */
export interface LaunchedServer {
  address: string;
  /** host:port of its HTTP API, recorded in $LANES_HOME/server.json for the CLI's read path. */
  httpAddress: string;
  namespace: string;
  persistence: 'sqlite' | 'postgres';
  uiUrl?: string;
  dbFile?: string;
  configFile?: string;
  logFile: string;
  pid: number;
  exited: Promise<{ exitCode?: number; signal?: string }>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export function addServerOptions(cmd: Command): Command {
  return cmd
    .option('--port <n>', 'gRPC port of the frontend (postgres: history, matching and worker use the next three, HTTP +10)', intOption('--port', 1), DEFAULT_SERVER_PORT)
    .option('--ui-port <n>', 'Web UI port (sqlite only)', intOption('--ui-port', 1), DEFAULT_UI_PORT)
    .option('--headless', 'run without the Web UI (sqlite only)')
    .option('--db <file>', 'SQLite file (default $LANES_HOME/temporal/dev.sqlite)')
    .option('--persistence <kind>', 'sqlite (embedded dev server) or postgres (the Temporal server on PostgreSQL)', persistenceOption, 'sqlite')
    .option('--pg-url <url>', 'postgres only: postgres://USER:PASSWORD@HOST:PORT[/DATABASE] (env LANES_PG_URL; visibility uses DATABASE_visibility)')
    .option('--membership-port <n>', 'postgres only: first of four membership ports (<= 32764; PostgreSQL stores them as smallint)', intOption('--membership-port', 1, 32_764), DEFAULT_MEMBERSHIP_PORT)
    .option('--history-shards <n>', 'postgres only: history shards of a NEW cluster (fixed once created)', intOption('--history-shards', 1, 16_384), DEFAULT_HISTORY_SHARDS)
    .option('--bind-ip <ip>', 'postgres only: address the services listen on (and advertise)', '127.0.0.1')
    .option('--tls-server-cert <file>', 'postgres only: frontend certificate (PEM, serverAuth + clientAuth); turns on mTLS')
    .option('--tls-server-key <file>', 'postgres only: key of --tls-server-cert')
    .option('--tls-server-ca <file>', 'postgres only: CA that signed the server and the client certificates')
    .option('--tls-server-host <name>', 'postgres only: host name on the server certificate, checked by the server\'s own clients (default: --bind-ip)');
}

function persistenceOption(value: string): 'sqlite' | 'postgres' {
  if (value === 'sqlite' || value === 'postgres') return value;
  throw new LanesError('usage', `--persistence must be sqlite or postgres, got "${value}"`, 'Use --persistence postgres --pg-url postgres://… for production, or omit it for the embedded dev server.');
}

function pgUrlOf(flags: ServerFlags): string {
  const url = flags.pgUrl ?? process.env.LANES_PG_URL;
  if (!url) throw new LanesError('usage', '--persistence postgres needs --pg-url (or env LANES_PG_URL)', 'Pass --pg-url postgres://USER:PASSWORD@HOST:PORT (see docs/production.md).');
  return url;
}

function clusterInput(config: LanesConfig, flags: ServerFlags) {
  const pg = parsePgUrl(pgUrlOf(flags));
  const broadcastAddress = flags.bindIp === '0.0.0.0' ? '127.0.0.1' : flags.bindIp;
  return {
    pg,
    port: flags.port,
    membershipPort: flags.membershipPort,
    bindIp: flags.bindIp,
    broadcastAddress,
    historyShards: flags.historyShards,
    tls: serverTlsOf(flags, broadcastAddress),
    dir: join(config.home, 'temporal', 'cluster'),
  };
}

/** The rendered server config without starting anything (`lanes server --persistence postgres --print-config`). */
export function printableClusterConfig(config: LanesConfig, flags: ServerFlags): string {
  const input = clusterInput(config, flags);
  return stringify(renderClusterConfig({ ...input, dynamicConfigFile: join(input.dir, 'dynamicconfig.yaml') }));
}

/**
 * Starts the server and records where its HTTP API is (<home>/server.json), so read
 * commands in this LANES_HOME take the HTTP path to it; the record goes when it stops.
 */
export async function launchServer(config: LanesConfig, flags: ServerFlags, out: Output): Promise<LaunchedServer> {
  const server = await startServer(config, flags, out);
  writeServerRecord(config.home, { address: server.address, httpAddress: server.httpAddress, pid: server.pid });
  const stop = server.stop;
  void server.exited.then(() => removeServerRecord(config.home, server.pid));
  return {
    ...server,
    async stop(signal) {
      await stop(signal);
      removeServerRecord(config.home, server.pid);
    },
  };
}

async function startServer(config: LanesConfig, flags: ServerFlags, out: Output): Promise<LaunchedServer> {
  if (flags.persistence === 'postgres') {
    const input = clusterInput(config, flags);
    const binaries = await provisionServerBinaries({ onProgress: (l) => out.info(l) });
    const c = await startCluster({ ...input, binaries, namespace: config.namespace, onProgress: (l) => out.info(l) });
    return { ...c, persistence: 'postgres' };
  }
  const binary = await requireTemporalBinary({ onProgress: (l) => out.info(l) });
  const s = await startDevServer({
    binaryPath: binary.path,
    dbFile: flags.db ?? join(config.home, 'temporal', 'dev.sqlite'),
    port: flags.port,
    uiPort: flags.headless ? undefined : flags.uiPort,
    namespace: config.namespace,
  });
  return { ...s, persistence: 'sqlite' };
}

export function describeServer(s: LaunchedServer) {
  return {
    address: s.address,
    httpAddress: s.httpAddress,
    namespace: s.namespace,
    persistence: s.persistence,
    uiUrl: s.uiUrl ?? null,
    dbFile: s.dbFile ?? null,
    configFile: s.configFile ?? null,
    logFile: s.logFile,
    pid: s.pid,
  };
}

/** Resolves on the first SIGINT/SIGTERM. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(sig);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

export function registerServerCommand(program: Command): void {
  addServerOptions(
    program
      .command('server')
      .description('Start Temporal: the embedded dev server (SQLite under $LANES_HOME, Web UI), or with --persistence postgres the Temporal server on PostgreSQL (schemas migrated, namespace and lane search attributes registered); stops on SIGINT/SIGTERM'),
  )
    .option('--print-config', 'postgres only: print the rendered server config (YAML) and exit')
    .action(
      action(async ({ out, config }, flags: ServerFlags & { printConfig?: boolean }) => {
        if (flags.printConfig) {
          if (flags.persistence !== 'postgres') throw new LanesError('usage', '--print-config needs --persistence postgres', 'The dev server has no config file; add --persistence postgres --pg-url ….');
          const yaml = printableClusterConfig(config, flags);
          out.result({ config: yaml }, (v) => v.config.trimEnd());
          return 0;
        }
        const server = await launchServer(config, flags, out);
        out.line({ event: 'server.ready', ...describeServer(server) }, (v) =>
          `Temporal ${v.persistence === 'postgres' ? 'server on PostgreSQL' : 'dev server'} ready\n  address:   ${v.address}\n  namespace: ${v.namespace}\n  http api:  ${v.httpAddress}\n  web ui:    ${v.uiUrl ?? '(none)'}\n  ${v.persistence === 'postgres' ? `config:    ${v.configFile}` : `database:  ${v.dbFile}`}\n  log:       ${v.logFile}\nPress Ctrl-C to stop.`,
        );
        const outcome = await Promise.race([untilSignal().then((signal) => ({ signal })), server.exited.then((e) => ({ exited: e }))]);
        if ('signal' in outcome) {
          await server.stop();
          out.line({ event: 'server.stopped', signal: outcome.signal }, () => 'Temporal server stopped');
          return 0;
        }
        out.line({ event: 'server.exited', ...outcome.exited }, (v) => `Temporal server exited unexpectedly (${v.exitCode ?? v.signal}); see ${server.logFile}`);
        return 1;
      }),
    );
}
