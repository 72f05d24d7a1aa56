// Renders the Temporal server configuration Lanes runs on PostgreSQL. One function
// feeds both `lanes server --persistence postgres` and docker-compose.yml (a test
// checks the compose file's inline copy is exactly this rendering).
import { LanesError } from '../errors.js';
import type { PgTarget } from './pg-url.js';

/** PostgreSQL schema names embedded in temporal-sql-tool (`update-schema --schema-name`). */
export const PG_PLUGIN = 'postgres12';
export const PG_SCHEMAS = { default: 'postgresql/v12/temporal', visibility: 'postgresql/v12/visibility' } as const;

/**
 * Server-side TLS of the frontend (mTLS: clients must present a certificate). One CA signs the
 * server certificate and the client certificates; the server certificate also serves as the
 * client certificate of the server's own system worker, so it carries both serverAuth and clientAuth.
 */
export interface ServerTls {
  certFile: string;
  keyFile: string;
  caFile: string;
  /** Name the server's own system worker expects on the frontend certificate. */
  serverName: string;
}

export interface ClusterConfigInput {
  pg: PgTarget;
  /** Frontend gRPC port; history, matching and worker use the next three. */
  port: number;
  /** Frontend membership port; the others use the next three. PostgreSQL stores them as smallint (<= 32767). */
  membershipPort: number;
  /** Address the services listen on ('127.0.0.1' on one host, '0.0.0.0' in a container). */
  bindIp: string;
  /** Address other members and the cluster metadata use to reach this one. */
  broadcastAddress: string;
  historyShards: number;
  dynamicConfigFile: string;
  tls?: ServerTls;
}

export const DEFAULT_MEMBERSHIP_PORT = 6933;
export const DEFAULT_HISTORY_SHARDS = 4;
const MAX_MEMBERSHIP_PORT = 32_767;

/** Ports of the four services, derived from the two bases. */
export function servicePorts(port: number, membershipPort: number) {
  if (membershipPort < 1 || membershipPort + 3 > MAX_MEMBERSHIP_PORT) {
    throw new LanesError('usage', `--membership-port ${membershipPort} is out of range: the four services use it and the next three, and PostgreSQL stores them as smallint (<= ${MAX_MEMBERSHIP_PORT})`, 'Pick a membership port between 1 and 32764 (default 6933).');
  }
  if (port < 1 || port + 10 > 65_535) throw new LanesError('usage', `--port ${port} is out of range (the services use it .. +3, HTTP uses +10)`, 'Pick a port between 1 and 65525 (default 7233).');
  const svc = (i: number) => ({ grpcPort: port + i, membershipPort: membershipPort + i });
  return { frontend: { ...svc(0), httpPort: port + 10 }, history: svc(1), matching: svc(2), worker: svc(3) };
}

function datastore(pg: PgTarget, databaseName: string) {
  return {
    sql: {
      pluginName: PG_PLUGIN,
      databaseName,
      connectAddr: `${pg.host}:${pg.port}`,
      connectProtocol: 'tcp',
      user: pg.user,
      password: pg.password,
      maxConns: 20,
      maxIdleConns: 20,
      maxConnLifetime: '1h',
    },
  };
}

/** The server configuration as a plain object (serialize with the `yaml` package). */
export function renderClusterConfig(input: ClusterConfigInput): Record<string, unknown> {
  const ports = servicePorts(input.port, input.membershipPort);
  const rpc = (p: { grpcPort: number; membershipPort: number; httpPort?: number }) => ({ rpc: { ...p, bindOnIP: input.bindIp } });
  const tls = input.tls
    ? {
        frontend: {
          server: { certFile: input.tls.certFile, keyFile: input.tls.keyFile, requireClientAuth: true, clientCaFiles: [input.tls.caFile] },
          client: { serverName: input.tls.serverName, rootCaFiles: [input.tls.caFile] },
        },
        // The server's own system worker (schedules, namespace jobs) is a frontend client too.
        systemWorker: {
          certFile: input.tls.certFile,
          keyFile: input.tls.keyFile,
          client: { serverName: input.tls.serverName, rootCaFiles: [input.tls.caFile] },
        },
      }
    : undefined;
  return {
    log: { stdout: true, level: 'warn', format: 'json' },
    persistence: {
      numHistoryShards: input.historyShards,
      defaultStore: 'default',
      visibilityStore: 'visibility',
      datastores: { default: datastore(input.pg, input.pg.database), visibility: datastore(input.pg, input.pg.visibilityDatabase) },
    },
    global: {
      membership: { maxJoinDuration: '30s', broadcastAddress: input.broadcastAddress },
      ...(tls ? { tls } : {}),
    },
    services: {
      frontend: rpc(ports.frontend),
      history: rpc(ports.history),
      matching: rpc(ports.matching),
      worker: rpc(ports.worker),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: `${input.broadcastAddress}:${ports.frontend.grpcPort}` },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: { filepath: input.dynamicConfigFile, pollInterval: '10s' },
  };
}

/** Dynamic config Lanes needs: long workflow ids, search attributes visible as soon as they are added. */
export function renderDynamicConfig(): Record<string, unknown> {
  return {
    'limit.maxIDLength': [{ value: 255, constraints: {} }],
    'system.forceSearchAttributesCacheRefreshOnRead': [{ value: true, constraints: {} }],
  };
}
