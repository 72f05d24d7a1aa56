// How the read commands (status, events, list) reach the server: the HTTP API when one is
// known and the connection is plaintext (no Temporal client loaded: ~a third of the time),
// else — or when the HTTP API turns out not to be there — the Temporal client over gRPC,
// which answers the same. LANES_DEBUG=1 prints which path a read took on stderr.
import { HTTP_ADDRESS_OFF, type LanesConfig } from '../config.js';
import { readServerRecord, sameAddress } from '../devserver/server-record.js';
import { type HttpApiTarget, HttpPathDeclined, httpLaneReader } from './http-api.js';
import { workflowIdFor } from './lane-ids.js';
import type { LaneReader } from './lane-reader.js';

/** The HTTP API to read from, or why there is none (for the debug line and `lanes doctor`). */
export function httpApiFor(config: LanesConfig): { target?: HttpApiTarget; source?: string; why?: string } {
  if (config.httpAddress === HTTP_ADDRESS_OFF) return { why: 'the HTTP API is turned off (none)' };
  // Plain node:http cannot present the client certificate or API key the gRPC connection uses.
  if (config.connection.tls || config.connection.apiKey !== undefined) return { why: 'the connection uses TLS or an API key; the HTTP path is plaintext only' };
  const target = (address: string) => ({ address, namespace: config.namespace });
  if (config.httpAddress) return { target: target(config.httpAddress), source: 'set' };
  const record = readServerRecord(config.home);
  if (record && sameAddress(record.address, config.address)) return { target: target(record.httpAddress), source: `recorded by the server in ${config.home}` };
  return { why: record ? `the server recorded in ${config.home} is ${record.address}, not ${config.address}` : 'no HTTP API address is set or recorded' };
}

export function debug(line: string, env: NodeJS.ProcessEnv = process.env): void {
  if (env.LANES_DEBUG && env.LANES_DEBUG !== '0') process.stderr.write(`lanes: debug: ${line}\n`);
}

/** The Temporal client, loaded only when a read goes over gRPC. */
async function overGrpc<T>(config: LanesConfig, fn: (client: import('@temporalio/client').Client) => Promise<T>): Promise<T> {
  const { withClient } = await import('./temporal.js');
  return withClient(config, fn);
}

/**
 * Runs a read over the HTTP API when there is one, else (or when it declines) over gRPC.
 * Neither function may print: both may run when the HTTP path steps aside.
 */
export async function readVia<T>(config: LanesConfig, what: string, overHttp: (target: HttpApiTarget) => Promise<T>, grpc: () => Promise<T>): Promise<T> {
  const http = httpApiFor(config);
  if (http.target) {
    const via = `read ${what} over the HTTP API at ${http.target.address} (${http.source})`;
    try {
      const value = await overHttp(http.target);
      debug(via);
      return value;
    } catch (e) {
      if (!(e instanceof HttpPathDeclined)) {
        debug(`${via}: ${(e as Error).message}`);
        throw e;
      }
      debug(`${e.message}; reading over gRPC`);
    }
  } else debug(`${http.why}; reading over gRPC`);
  return grpc();
}

/** Runs `fn` against one lane through readVia: the HTTP API's reader or the SDK handle's. */
export function withLaneReader<T>(config: LanesConfig, lane: string, fn: (reader: LaneReader) => Promise<T>): Promise<T> {
  return readVia(
    config,
    `lane ${lane}`,
    (target) => fn(httpLaneReader(target, workflowIdFor(lane))),
    async () => {
      const { handleFor, handleReader } = await import('./lanes.js');
      return overGrpc(config, (client) => fn(handleReader(handleFor(client, lane))));
    },
  );
}

export { overGrpc };
