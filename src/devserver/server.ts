// Starts and stops the embedded Temporal dev server (SQLite-backed, Web UI on).
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { execa, type ResultPromise } from 'execa';
import { sdkConnectionOptions } from '../connection/options.js';
import type { ConnectionSettings } from '../connection/settings.js';
import { LanesError } from '../errors.js';
import { assertPortFree, killWithParent } from './lifeline.js';
import { SearchAttributeType } from '@temporalio/common';
import { cliTypeName, LANE_SEARCH_ATTRIBUTES } from '../shared/search-attributes.js';

export interface DevServerOptions {
  binaryPath: string;
  /** SQLite file; its folder is created. Data in it survives restarts. */
  dbFile: string;
  ip?: string;
  port: number;
  /** Web UI port; undefined = headless. */
  uiPort?: number;
  /** Port of the server's HTTP API (grpc-gateway); default: a free port picked here, so it is known. */
  httpPort?: number;
  namespace: string;
  /** Where server stdout/stderr go; defaults to <dbFile dir>/server.log. */
  logFile?: string;
  /** How long to wait for the frontend to answer. First start creates the schema. */
  readyTimeoutMs?: number;
}

export interface DevServer {
  address: string;
  /** host:port of the HTTP API (JSON over HTTP): the CLI's fast read path (src/client/http-api.ts). */
  httpAddress: string;
  uiUrl?: string;
  namespace: string;
  dbFile: string;
  logFile: string;
  pid: number;
  /** Resolves when the process exits (for `lanes server` to wait on). */
  exited: Promise<{ exitCode?: number; signal?: string }>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export async function freePort(ip = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, ip, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** True when something answers Temporal's GetSystemInfo at address. */
export async function isServerReachable(address: string, connection: ConnectionSettings = {}, timeoutMs = 3_000): Promise<boolean> {
  try {
    const conn = await Connection.connect({ ...sdkConnectionOptions(address, connection), connectTimeout: timeoutMs });
    await conn.close();
    return true;
  } catch {
    return false;
  }
}

/**
 * Registers any of the project's search attributes the namespace lacks.
 * `--search-attribute` only applies when the SQLite file is first created, so an
 * existing database gets new attributes here, live.
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const present = new Set(Object.keys(customAttributes ?? {}));
  const missing = LANE_SEARCH_ATTRIBUTES.filter((k) => !present.has(k.name));
  if (missing.length === 0) return [];
  // @temporalio/proto is CommonJS: named ESM imports of it fail under plain node.
  const Indexed = proto.temporal.api.enums.v1.IndexedValueType;
  const indexed = (k: (typeof missing)[number]) => (k.type === SearchAttributeType.INT ? Indexed.INDEXED_VALUE_TYPE_INT : Indexed.INDEXED_VALUE_TYPE_KEYWORD);
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((k) => [k.name, indexed(k)])),
  });
  return missing.map((k) => k.name);
}

export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  const ip = opts.ip ?? '127.0.0.1';
  mkdirSync(dirname(opts.dbFile), { recursive: true });
  const logFile = opts.logFile ?? join(dirname(opts.dbFile), 'server.log');
  // The dev server opens its HTTP API on a random port unless told one: pick it here so it is known.
  const httpPort = opts.httpPort ?? (await freePort(ip));
  const args = [
    'server', 'start-dev',
    '--ip', ip,
    '--port', String(opts.port),
    '--http-port', String(httpPort),
    '--db-filename', opts.dbFile,
    '--namespace', opts.namespace,
    '--log-format', 'json',
    '--log-level', 'warn',
    ...(opts.uiPort !== undefined ? ['--ui-port', String(opts.uiPort)] : ['--headless']),
    ...LANE_SEARCH_ATTRIBUTES.flatMap((k) => ['--search-attribute', `${k.name}=${cliTypeName(k.type)}`]),
  ];
  // A busy port would let the readiness probe below reach whatever already listens there.
  await assertPortFree(ip, opts.port, '--port');
  if (opts.uiPort !== undefined) await assertPortFree(ip, opts.uiPort, '--ui-port');
  await assertPortFree(ip, httpPort, '--http-port');
  const log = { file: logFile, append: true } as const;
  // Its own process group, so the lifeline can take the whole server down with us, even after a SIGKILL.
  const proc: ResultPromise = execa(opts.binaryPath, args, { stdout: log, stderr: log, stdin: 'ignore', reject: false, cleanup: true, detached: true });
  if (proc.pid !== undefined) killWithParent(proc.pid);
  const exited = proc.then((r) => ({ exitCode: r.exitCode, signal: r.signal ?? undefined }));
  const address = `${ip}:${opts.port}`;
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 60_000);
  let connection: Connection | undefined;
  let earlyExit: { exitCode?: number; signal?: string } | undefined;
  void exited.then((e) => (earlyExit = e));
  while (!connection) {
    if (earlyExit) {
      throw new LanesError('unavailable', `Temporal dev server exited during startup (code ${earlyExit.exitCode ?? earlyExit.signal}); see ${logFile}`,
        `Is port ${opts.port} (or UI port ${opts.uiPort}) already in use? Pick others with --port/--ui-port.`, 'infra');
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new LanesError('unavailable', `Temporal dev server did not answer on ${address} within ${opts.readyTimeoutMs ?? 60_000} ms; see ${logFile}`, undefined, 'infra');
    }
    try {
      connection = await Connection.connect({ address, connectTimeout: 2_000 });
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    await ensureSearchAttributes(connection, opts.namespace);
  } finally {
    await connection.close();
  }
  // Never report a server that is already gone as ready.
  await new Promise((r) => setTimeout(r, 100));
  if (earlyExit) {
    throw new LanesError('unavailable', `Temporal dev server exited during startup (code ${earlyExit.exitCode ?? earlyExit.signal}); see ${logFile}`, `Pick other ports with --port/--ui-port.`, 'infra');
  }
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (earlyExit) return;
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  return {
    address,
    httpAddress: `${ip}:${httpPort}`,
    uiUrl: opts.uiPort !== undefined ? `http://${ip}:${opts.uiPort}` : undefined,
    namespace: opts.namespace,
    dbFile: opts.dbFile,
    logFile,
    pid: proc.pid!,
    exited,
    stop,
  };
}
