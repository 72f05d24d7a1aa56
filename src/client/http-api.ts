// The Temporal server's HTTP API (grpc-gateway: JSON over HTTP/1.1) as a LaneReader: the
// CLI's fast read path. It needs node:http only — not the Temporal client, whose loading
// (protobufjs building the whole API's reflection, gRPC) is most of what a `lanes status`
// over gRPC costs (docs/performance.md, "CLI latency").
//
// It answers exactly what the gRPC path answers or steps aside: payloads are asked for in
// their full form (`?noPayloadShorthand`: the shorthand re-encodes JSON with its keys
// sorted) and decoded as the SDK's default converter does (json/plain → JSON.parse, binary/null
// → undefined); Temporal's own errors become errors shaped like the SDK's, so the output
// layer prints the same thing. Anything that says "no HTTP API here" (refused connection,
// a route the server does not know, a body that is not Temporal's) or that it cannot decode
// like the SDK throws HttpPathDeclined, and the caller asks over gRPC instead.
import { request } from 'node:http';
import type { LaneReader } from './lane-reader.js';

/** This read should go over gRPC instead; nothing was printed or changed. */
export class HttpPathDeclined extends Error {
  override name = 'HttpPathDeclined';
}

export interface HttpApiTarget {
  /** host:port of the server's HTTP API. */
  address: string;
  namespace: string;
  /** How long to wait for the TCP connection (not for the answer: a query may wait for a worker). */
  connectTimeoutMs?: number;
}

/** A Temporal error as the gateway writes it: a gRPC status. */
interface TemporalStatus {
  code: number;
  message: string;
  details?: { '@type'?: string; namespace?: string }[];
}

interface HttpAnswer {
  status: number;
  body: unknown;
}

const GRPC_CODE_NAMES = ['OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED'];
const NOT_FOUND = 5;
const INVALID_ARGUMENT = 3;
/** Codes that say "not the Temporal API you want here": the gRPC path knows better. */
const DECLINE_CODES = new Set([12 /* UNIMPLEMENTED */, 14 /* UNAVAILABLE */, 16 /* UNAUTHENTICATED */, 7 /* PERMISSION_DENIED */]);

/** The SDK's names for the workflow statuses (its workflowStatusCodeToName). */
const STATUS_NAMES: Record<string, string> = {
  WORKFLOW_EXECUTION_STATUS_UNSPECIFIED: 'UNSPECIFIED',
  WORKFLOW_EXECUTION_STATUS_RUNNING: 'RUNNING',
  WORKFLOW_EXECUTION_STATUS_COMPLETED: 'COMPLETED',
  WORKFLOW_EXECUTION_STATUS_FAILED: 'FAILED',
  WORKFLOW_EXECUTION_STATUS_CANCELED: 'CANCELLED',
  WORKFLOW_EXECUTION_STATUS_TERMINATED: 'TERMINATED',
  WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW: 'CONTINUED_AS_NEW',
  WORKFLOW_EXECUTION_STATUS_TIMED_OUT: 'TIMED_OUT',
  WORKFLOW_EXECUTION_STATUS_PAUSED: 'PAUSED',
};

/** Workflow ids the read path sends in a URL as they are: lane ids (PACKET_ID_PATTERN's characters) with their prefix. */
const PLAIN_WORKFLOW_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,80}$/;

function call(target: HttpApiTarget, method: 'GET' | 'POST', path: string, body?: unknown): Promise<HttpAnswer> {
  const m = /^(.*):(\d+)$/.exec(target.address);
  if (!m) return Promise.reject(new HttpPathDeclined(`HTTP API address ${target.address} is not host:port`));
  const host = m[1]!.replace(/^\[(.*)\]$/, '$1');
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      { host, port: Number(m[2]), method, path, headers: { accept: 'application/json', ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) => reject(new HttpPathDeclined(`HTTP API at ${target.address}: ${e.message}`)));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown });
          } catch {
            reject(new HttpPathDeclined(`HTTP API at ${target.address} answered ${res.statusCode} with a body that is not JSON`));
          }
        });
      },
    );
    const connectTimer = setTimeout(() => req.destroy(new Error(`no connection within ${target.connectTimeoutMs ?? 2_000} ms`)), target.connectTimeoutMs ?? 2_000);
    req.on('socket', (s) => (s.connecting ? s.once('connect', () => clearTimeout(connectTimer)) : clearTimeout(connectTimer)));
    req.on('close', () => clearTimeout(connectTimer));
    req.on('error', (e) => reject(new HttpPathDeclined(`HTTP API at ${target.address}: ${e.message}`)));
    req.end(payload);
  });
}

function temporalStatusOf(a: HttpAnswer): TemporalStatus | undefined {
  const b = a.body as Partial<TemporalStatus> | null;
  if (a.status < 400 || !b || typeof b !== 'object' || typeof b.code !== 'number' || typeof b.message !== 'string') return undefined;
  return b as TemporalStatus;
}

function detailType(s: TemporalStatus): string | undefined {
  return s.details?.[0]?.['@type']?.replace(/^.*\//, '');
}

/**
 * The error of a call that did not succeed: Temporal's own, shaped like the one the SDK
 * throws for it (rethrowGrpcError), or HttpPathDeclined when the answer is not Temporal's.
 */
function failureOf(a: HttpAnswer, target: HttpApiTarget, sdkMessage: string): Error {
  const s = temporalStatusOf(a);
  if (!s) return new HttpPathDeclined(`HTTP API at ${target.address} answered ${a.status} without a Temporal status`);
  // grpc-gateway's own 404 for a route it does not serve carries no Temporal detail.
  if (s.code === NOT_FOUND && !detailType(s)) return new HttpPathDeclined(`HTTP API at ${target.address} has no such route (${a.status})`);
  if (DECLINE_CODES.has(s.code)) return new HttpPathDeclined(`HTTP API at ${target.address} answered ${GRPC_CODE_NAMES[s.code]}: ${s.message}`);
  if (detailType(s) === 'temporal.api.errordetails.v1.NamespaceNotFoundFailure') {
    return Object.assign(new Error(`Namespace not found: '${s.details![0]!.namespace ?? target.namespace}'`), { name: 'NamespaceNotFoundError', namespace: s.details![0]!.namespace ?? target.namespace });
  }
  if (s.code === NOT_FOUND) return Object.assign(new Error(s.message), { name: 'WorkflowNotFoundError' });
  const grpc = Object.assign(new Error(`${s.code} ${GRPC_CODE_NAMES[s.code] ?? 'UNKNOWN'}: ${s.message}`), { code: s.code, details: s.message });
  return Object.assign(new Error(sdkMessage, { cause: grpc }), { name: 'ServiceError' });
}

interface WirePayload {
  metadata?: Record<string, string>;
  data?: string;
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string | undefined) => Buffer.from(s ?? '', 'base64').toString('utf8');

/** A query argument as the SDK's default converter writes it (json/plain), in the gateway's full form. */
function toPayload(value: unknown): WirePayload {
  return value === undefined ? { metadata: { encoding: b64('binary/null') } } : { metadata: { encoding: b64('json/plain') }, data: b64(JSON.stringify(value)) };
}

/** The first payload decoded as the SDK's default converter does; anything else is left to it. */
function fromPayloads(payloads: WirePayload[] | undefined, target: HttpApiTarget): unknown {
  const p = payloads?.[0];
  if (!p) return undefined;
  const encoding = unb64(p.metadata?.encoding);
  if (encoding === 'json/plain') return JSON.parse(unb64(p.data)) as unknown;
  if (encoding === 'binary/null') return undefined;
  throw new HttpPathDeclined(`HTTP API at ${target.address}: a ${encoding || 'no'}-encoded payload is the SDK's to decode`);
}

/** The part of describe's workflowExecutionInfo the reader reads. */
interface WireExecutionInfo {
  status?: unknown;
  execution?: { runId?: unknown };
  memo?: { fields?: Record<string, WirePayload> };
}

/** A LaneReader for one workflow over the HTTP API. */
export function httpLaneReader(target: HttpApiTarget, workflowId: string): LaneReader {
  const base = `/api/v1/namespaces/${encodeURIComponent(target.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  const checked = async () => {
    if (!PLAIN_WORKFLOW_ID.test(workflowId)) throw new HttpPathDeclined(`workflow id ${JSON.stringify(workflowId)} is left to the gRPC path`);
  };
  return {
    async describe() {
      await checked();
      const a = await call(target, 'GET', `${base}?noPayloadShorthand`);
      if (a.status === 200) {
        const info = (a.body as { workflowExecutionInfo?: WireExecutionInfo }).workflowExecutionInfo;
        const raw = info?.status;
        if (typeof raw !== 'string') throw new HttpPathDeclined(`HTTP API at ${target.address}: describe answered without a workflow status`);
        const runId = info?.execution?.runId;
        if (typeof runId !== 'string') throw new HttpPathDeclined(`HTTP API at ${target.address}: describe answered without a run id`);
        // Each memo field decoded as the SDK's converter would (the codec's decode is the identity).
        const memo = Object.fromEntries(Object.entries(info?.memo?.fields ?? {}).map(([k, p]) => [k, fromPayloads([p], target)] as const));
        return { status: STATUS_NAMES[raw] ?? 'UNKNOWN', runId, memo };
      }
      const err = failureOf(a, target, 'Failed to describe workflow');
      if (err.name === 'WorkflowNotFoundError') return undefined;
      throw err;
    },
    async query<T>(name: string, ...args: unknown[]): Promise<T> {
      await checked();
      const a = await call(target, 'POST', `${base}/query/${encodeURIComponent(name)}?noPayloadShorthand`, { query: { queryArgs: { payloads: args.map(toPayload) } } });
      if (a.status === 200) {
        const body = a.body as { queryResult?: { payloads?: WirePayload[] }; queryRejected?: unknown };
        if (body.queryRejected || !body.queryResult) throw new HttpPathDeclined(`HTTP API at ${target.address}: query ${name} answered without a result`);
        return fromPayloads(body.queryResult.payloads, target) as T;
      }
      const s = temporalStatusOf(a);
      // The SDK reads any INVALID_ARGUMENT of a query as "no handler registered" (QueryNotRegisteredError).
      if (s?.code === INVALID_ARGUMENT) throw Object.assign(new Error(s.message), { name: 'QueryNotRegisteredError', code: s.code });
      throw failureOf(a, target, 'Failed to query Workflow');
    },
  };
}

/** One row of a visibility listing, as `lanes list` reads it from either path. */
export interface ListedWorkflow {
  workflowId: string;
  /** The SDK's status name. */
  status: string;
  /** Search attributes as the SDK's decodeSearchAttributes gives them: name → values. */
  searchAttributes: Record<string, unknown[]>;
  /** Start time as the SDK's Date (milliseconds, truncated) in ISO form. */
  startTime: string;
}

/** RFC 3339 from protojson (0-9 fraction digits, UTC) → the ISO string of the SDK's Date (ms, truncated). */
function isoMillis(ts: unknown, target: HttpApiTarget): string {
  const m = typeof ts === 'string' ? /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(ts) : null;
  const d = m ? new Date(`${m[1]}.${(m[2] ?? '').padEnd(3, '0').slice(0, 3)}Z`) : undefined;
  if (!d || Number.isNaN(d.getTime())) throw new HttpPathDeclined(`HTTP API at ${target.address}: start time ${String(ts)} is not RFC 3339 UTC`);
  return d.toISOString();
}

interface WireExecution {
  execution?: { workflowId?: string };
  status?: string;
  startTime?: string;
  searchAttributes?: { indexedFields?: Record<string, WirePayload> };
}

/** A search attribute's values as the SDK decodes them (JSON, a single value wrapped in an array; Datetime values stay strings). */
function searchAttributeValues(p: WirePayload, target: HttpApiTarget): unknown[] {
  let v: unknown;
  try {
    v = JSON.parse(unb64(p.data));
  } catch {
    throw new HttpPathDeclined(`HTTP API at ${target.address}: a search attribute that is not JSON is the SDK's to decode`);
  }
  return Array.isArray(v) ? v : [v];
}

/** ListWorkflowExecutions page by page (the server's page size, as the SDK asks), until the caller stops. */
export async function* httpListWorkflows(target: HttpApiTarget, query: string): AsyncGenerator<ListedWorkflow> {
  let nextPageToken = '';
  for (;;) {
    const params = new URLSearchParams({ query, ...(nextPageToken ? { nextPageToken } : {}) });
    const a = await call(target, 'GET', `/api/v1/namespaces/${encodeURIComponent(target.namespace)}/workflows?${params.toString()}&noPayloadShorthand`);
    if (a.status !== 200) throw failureOf(a, target, 'Failed to list workflows');
    const body = a.body as { executions?: WireExecution[]; nextPageToken?: string };
    for (const raw of body.executions ?? []) {
      const workflowId = raw.execution?.workflowId;
      if (typeof workflowId !== 'string' || typeof raw.status !== 'string') throw new HttpPathDeclined(`HTTP API at ${target.address}: a listed workflow without id or status`);
      const fields = raw.searchAttributes?.indexedFields ?? {};
      const searchAttributes = Object.fromEntries(Object.entries(fields).map(([k, p]) => [k, searchAttributeValues(p, target)] as const).filter(([, v]) => v.length > 0));
      yield { workflowId, status: STATUS_NAMES[raw.status] ?? 'UNKNOWN', searchAttributes, startTime: isoMillis(raw.startTime, target) };
    }
    nextPageToken = body.nextPageToken ?? '';
    if (!nextPageToken) return;
  }
}
