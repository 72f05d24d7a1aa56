// A real HTTP model server for tests and demos: speaks the Anthropic Messages API,
// OpenAI chat completions and the OpenAI Responses API (JSON and SSE), answers deterministically by
// scenario, and records every request so tests can prove no turn was billed twice.
//
// Run standalone: `node dist/testkit/mock-model-server.js [--port N] [--scripts file.json]`
// prints one JSON line `{"url", "anthropicBaseURL", "openaiBaseURL"}` and serves until SIGTERM.
import { readFileSync } from 'node:fs';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { LanesError } from '../errors.js';
import { type ScriptedTurn, assistantTurnIndex } from '../providers/scripted.js';
import { DEFAULT_SCENARIO, type MockErrorKind, type MockOutcome, decideOutcome, findScenarioMarker } from './mock-model-scenarios.js';
import {
  type ParseResult,
  type SseEvent,
  type Vendor,
  anthropicErrorBody,
  anthropicEvents,
  anthropicMessage,
  formatSse,
  openaiCompletion,
  openaiErrorBody,
  openaiEvents,
  parseAnthropicRequest,
  parseOpenAIRequest,
} from './mock-model-wire.js';
import { parseResponsesRequest, responsesBody, responsesErrorBody, responsesEvents } from './mock-model-responses.js';

export interface RecordedRequest {
  /** 1-based arrival order since the last reset. */
  seq: number;
  requestId: string;
  vendor: Vendor | 'unknown';
  path: string;
  scenario: string;
  /** Assistant messages already in the request: which model turn was asked for. */
  turn: number;
  stream: boolean;
  model: string;
  /** HTTP status answered; 0 while unanswered (the `timeout` scenario never answers). */
  status: number;
  /** The parsed JSON request body, for asserting what the client sent. */
  body: unknown;
  /** ms since epoch when the request arrived (benchmarks time turns with it). */
  receivedAt: number;
}

export interface MockModelServer {
  /** Base URL, e.g. http://127.0.0.1:PORT */
  url: string;
  /** For the Anthropic SDK (no /v1: the SDK appends it). */
  anthropicBaseURL: string;
  /** For the OpenAI SDK (with /v1). */
  openaiBaseURL: string;
  /** Register (or replace) a programmable scenario selected by `[[mock:<name>]]`. */
  script(name: string, turns: ScriptedTurn[]): void;
  /** Every request received since the last reset, in arrival order. */
  readonly requests: RecordedRequest[];
  requestCount(scenario?: string): number;
  /** Forget recorded requests and per-scenario counters; registered scripts stay. */
  reset(): void;
  close(): Promise<void>;
}

export interface MockModelServerOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  scripts?: Record<string, ScriptedTurn[]>;
}

const ID_PREFIX: Record<Vendor, string> = { anthropic: 'toolu_mock', openai: 'call_mock', responses: 'call_mock' };
const REQUEST_ID_HEADER: Record<Vendor, string> = { anthropic: 'request-id', openai: 'x-request-id', responses: 'x-request-id' };
const PARSERS: Record<Vendor, (body: unknown) => ParseResult> = { anthropic: parseAnthropicRequest, openai: parseOpenAIRequest, responses: parseResponsesRequest };
const ERROR_BODIES: Record<Vendor, (error: MockErrorKind, message: string) => unknown> = {
  anthropic: anthropicErrorBody,
  openai: openaiErrorBody,
  responses: responsesErrorBody,
};

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

function vendorFor(method: string | undefined, path: string): Vendor | undefined {
  if (method !== 'POST') return undefined;
  if (path === '/v1/messages') return 'anthropic';
  if (path === '/v1/chat/completions') return 'openai';
  if (path === '/v1/responses') return 'responses';
  return undefined;
}

export async function startMockModelServer(options: MockModelServerOptions = {}): Promise<MockModelServer> {
  const scripts = new Map<string, ScriptedTurn[]>(Object.entries(options.scripts ?? {}));
  let requests: RecordedRequest[] = [];
  let seq = 0;
  // Request ids stay unique across resets so logs from different phases never collide.
  let idCounter = 0;

  function sendJson(res: ServerResponse, status: number, headers: Record<string, string>, body: unknown, rec: RecordedRequest): void {
    rec.status = status;
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  }

  function sendSse(res: ServerResponse, headers: Record<string, string>, events: SseEvent[], rec: RecordedRequest): void {
    rec.status = 200;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', ...headers });
    for (const e of events) res.write(formatSse(e));
    res.end();
  }

  function sendError(res: ServerResponse, vendor: Vendor, headers: Record<string, string>, status: number, error: MockErrorKind, message: string, rec: RecordedRequest): void {
    sendJson(res, status, headers, ERROR_BODIES[vendor](error, message), rec);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const vendor = vendorFor(req.method, path);
    const requestId = `req_mock_${String(++idCounter).padStart(6, '0')}`;
    const raw = await readBody(req);
    const rec: RecordedRequest = { seq: ++seq, requestId, vendor: vendor ?? 'unknown', path, scenario: '', turn: 0, stream: false, model: '', status: 0, body: undefined, receivedAt: Date.now() };
    requests.push(rec);

    if (!vendor) {
      rec.status = 404;
      res.writeHead(404, { 'content-type': 'application/json', 'request-id': requestId, 'x-request-id': requestId });
      res.end(JSON.stringify({ error: { type: 'not_found_error', message: `mock model server: no route ${req.method} ${path}; use POST /v1/messages, /v1/chat/completions or /v1/responses` } }));
      return;
    }
    const headers = { [REQUEST_ID_HEADER[vendor]]: requestId };
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      sendError(res, vendor, headers, 400, 'invalid_request', 'request body is not valid JSON', rec);
      return;
    }
    rec.body = body;
    const parsed: ParseResult = PARSERS[vendor](body);
    if (!parsed.ok) {
      sendError(res, vendor, headers, 400, 'invalid_request', parsed.message, rec);
      return;
    }
    const r = parsed.request;
    const scenario = findScenarioMarker(r.system, r.messages) ?? DEFAULT_SCENARIO;
    const turn = assistantTurnIndex(r.messages);
    Object.assign(rec, { scenario, turn, stream: r.stream, model: r.model });
    const priorRequests = requests.filter((x) => x !== rec && x.scenario === scenario).length;
    const priorAtTurn = requests.filter((x) => x !== rec && x.scenario === scenario && x.turn === turn).length;
    const outcome: MockOutcome = decideOutcome({ scenario, turn, request: r, priorRequests, priorAtTurn, idPrefix: ID_PREFIX[vendor], scripts });

    switch (outcome.kind) {
      case 'hang':
        return; // the socket stays open until the client aborts or close() drops it
      case 'error': {
        const extra: Record<string, string> = outcome.retryAfterSeconds !== undefined ? { 'retry-after': String(outcome.retryAfterSeconds) } : {};
        sendError(res, vendor, { ...headers, ...extra }, outcome.status, outcome.error, outcome.message, rec);
        return;
      }
      case 'reply': {
        // Ids derive from scenario and turn, so a retried turn is answered byte-for-byte the same.
        if (vendor === 'anthropic') {
          const id = `msg_mock_${scenario}_${turn}`;
          if (r.stream) sendSse(res, headers, anthropicEvents(id, r.model, outcome), rec);
          else sendJson(res, 200, headers, anthropicMessage(id, r.model, outcome), rec);
        } else if (vendor === 'responses') {
          const id = `resp_mock_${scenario}_${turn}`;
          if (r.stream) sendSse(res, headers, responsesEvents(id, r.model, outcome), rec);
          else sendJson(res, 200, headers, responsesBody(id, r.model, outcome), rec);
        } else {
          const id = `chatcmpl-mock-${scenario}-${turn}`;
          if (r.stream) sendSse(res, headers, openaiEvents(id, r.model, outcome, r.includeUsage), rec);
          else sendJson(res, 200, headers, openaiCompletion(id, r.model, outcome), rec);
        }
        return;
      }
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { type: 'api_error', message: `mock model server bug: ${(err as Error).message}` } }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    anthropicBaseURL: url,
    openaiBaseURL: `${url}/v1`,
    script(name, turns) {
      scripts.set(name, structuredClone(turns));
    },
    get requests() {
      return requests;
    },
    requestCount(scenario) {
      return scenario === undefined ? requests.length : requests.filter((r) => r.scenario === scenario).length;
    },
    reset() {
      requests = [];
      seq = 0;
    },
    close() {
      return new Promise<void>((resolve) => {
        // Hanging (`timeout`) requests would keep close() waiting forever.
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}

function parseCliArgs(argv: readonly string[]): MockModelServerOptions {
  const opts: MockModelServerOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = argv[i + 1];
    if (arg === '--port' && value !== undefined && /^\d+$/.test(value)) {
      opts.port = Number(value);
      i++;
    } else if (arg === '--scripts' && value !== undefined) {
      opts.scripts = JSON.parse(readFileSync(value, 'utf8')) as Record<string, ScriptedTurn[]>;
      i++;
    } else {
      throw new LanesError('usage', `mock-model-server: unexpected argument '${arg ?? ''}'`, 'Usage: mock-model-server [--port N] [--scripts scripts.json]');
    }
  }
  return opts;
}

async function main(): Promise<void> {
  const server = await startMockModelServer(parseCliArgs(process.argv.slice(2)));
  process.stdout.write(`${JSON.stringify({ url: server.url, anthropicBaseURL: server.anthropicBaseURL, openaiBaseURL: server.openaiBaseURL })}\n`);
  const stop = () => {
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`${JSON.stringify({ error: (err as Error).message, hint: (err as LanesError).hint })}\n`);
    process.exit(2);
  });
}
