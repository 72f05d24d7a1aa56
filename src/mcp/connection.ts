// One attempt at one MCP server: spawn or connect, initialize under a deadline,
// discover tools and resources. A failed attempt leaves no process behind and
// comes back as a diagnosis; a successful one is an McpConnection.
import { resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport, type StdioServerParameters } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { CallToolResult, Resource, Tool } from '@modelcontextprotocol/sdk/types.js';
import { type McpServerConfig, isStdioServer } from './config.js';
import { type OpenPhase, diagnoseOpenFailure } from './diagnosis.js';
import { descendantPids, isAlive, terminateProcesses, waitForExit } from '../shell/processes.js';
import type { McpFailureDiagnosis, McpHealthyServer } from './report.js';

/** Discovery follows at most this many pages per list; a server that pages forever is cut off. */
const MAX_LIST_PAGES = 50;
const STDERR_TAIL_CHARS = 4_000;

export interface OpenConnectionParams {
  name: string;
  config: McpServerConfig;
  /** Base for a relative `cwd`, and the cwd of servers that set none (the lane worktree). */
  cwd?: string;
  clientInfo: { name: string; version: string };
  /** Grace before SIGTERM and again before SIGKILL when shutting a server down, in ms. */
  graceMs: number;
  /** Receives the server's stderr as it arrives (for the log file). */
  onStderr?: (name: string, text: string) => void;
  /** Named in recommendations so operators find the full stderr. */
  logFile?: string;
  /** Called when a stdio process starts and when it is gone, so pid records stay current. */
  onProcessChange?: (event: { pid: number; alive: boolean }) => void;
}

export type OpenResult =
  | { ok: true; connection: McpConnection; healthy: McpHealthyServer }
  | { ok: false; diagnosis: McpFailureDiagnosis };

export interface ToolCallOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

/** What the transport callbacks observe during and after an attempt. */
interface AttemptState {
  pid: number | null;
  closed: boolean;
  protocolErrors: string[];
  stderrTail: string;
}

/** Records the pid as soon as the process is spawned: the SDK forgets it once it starts closing. */
class TrackedStdioTransport extends StdioClientTransport {
  constructor(
    params: StdioServerParameters,
    private readonly onSpawn: (pid: number) => void,
  ) {
    super(params);
  }

  override async start(): Promise<void> {
    await super.start();
    if (this.pid !== null) this.onSpawn(this.pid);
  }
}

/** A live, initialized server. */
export class McpConnection {
  constructor(
    readonly name: string,
    readonly config: McpServerConfig,
    private readonly client: Client,
    private readonly transport: Transport,
    private readonly state: AttemptState,
    /** Every tool the server listed, with its input schema. */
    readonly tools: Tool[],
    private readonly graceMs: number,
  ) {}

  /** The stdio server's pid, or null for a remote server. */
  get pid(): number | null {
    return this.state.pid;
  }

  /** False once the process exited or the transport closed. */
  get alive(): boolean {
    if (this.state.closed) return false;
    return this.state.pid === null || isAlive(this.state.pid);
  }

  /** Recent stderr, for call-failure messages. */
  get stderrTail(): string {
    return lastLines(this.state.stderrTail);
  }

  /** Calls a tool. Rejects on protocol, transport and timeout errors; a tool error is a result with isError. */
  async callTool(tool: string, args: Record<string, unknown>, options: ToolCallOptions): Promise<CallToolResult> {
    const result = await this.client.callTool({ name: tool, arguments: args }, undefined, { timeout: options.timeoutMs, signal: options.signal });
    // Servers on the 2024-10-07 protocol answer with `toolResult` instead of content blocks.
    if ('toolResult' in result && !('content' in result)) {
      return { content: [{ type: 'text', text: JSON.stringify(result.toolResult) }] };
    }
    return result as CallToolResult;
  }

  /** Closes the client and makes sure the process tree is dead. Returns pids that survived SIGKILL. */
  async close(): Promise<number[]> {
    return shutdown(this.client, this.transport, this.state, this.graceMs);
  }
}

/** One open attempt. Never throws: failures come back as a diagnosis, with the process already reaped. */
export async function openConnection(params: OpenConnectionParams): Promise<OpenResult> {
  const { name, config } = params;
  const state: AttemptState = { pid: null, closed: false, protocolErrors: [], stderrTail: '' };
  const cwd = isStdioServer(config) && (config.cwd ?? params.cwd) ? resolve(params.cwd ?? process.cwd(), config.cwd ?? '.') : undefined;
  const client = new Client(params.clientInfo, { capabilities: {} });
  client.onerror = (err) => {
    // Unparseable stdout lines arrive here; keep a few for the diagnosis.
    if (state.protocolErrors.length < 5 && (err instanceof SyntaxError || 'issues' in err)) state.protocolErrors.push(err.message);
  };
  const transport = createTransport(params, state, cwd);
  transport.onclose = () => {
    state.closed = true;
    if (state.pid !== null) params.onProcessChange?.({ pid: state.pid, alive: false });
  };

  let phase: OpenPhase = isStdioServer(config) ? 'spawn' : 'initialize';
  try {
    await client.connect(transport, { timeout: config.startupTimeoutMs });
    phase = 'tools/list';
    const capabilities = client.getServerCapabilities() ?? {};
    const tools = capabilities.tools ? await listAll(async (cursor) => {
      const page = await client.listTools(cursor ? { cursor } : undefined, { timeout: config.startupTimeoutMs });
      return { items: page.tools, nextCursor: page.nextCursor };
    }) : [];
    phase = 'resources/list';
    // A server without the resources capability simply has none: not a failure.
    const resources = capabilities.resources ? await listAll<Resource>(async (cursor) => {
      const page = await client.listResources(cursor ? { cursor } : undefined, { timeout: config.startupTimeoutMs });
      return { items: page.resources, nextCursor: page.nextCursor };
    }) : [];
    const info = client.getServerVersion();
    const healthy: McpHealthyServer = {
      name,
      tools: tools.map((t) => (t.description === undefined ? { name: t.name } : { name: t.name, description: t.description })),
      resources: resources.map((r) => ({ uri: r.uri, name: r.name })),
      serverInfo: { name: info?.name ?? 'unknown', version: info?.version ?? 'unknown' },
    };
    return { ok: true, connection: new McpConnection(name, config, client, transport, state, tools, params.graceMs), healthy };
  } catch (err) {
    if (phase === 'spawn' && state.pid !== null) phase = 'initialize';
    // Give a dying process a moment so "exited before the handshake" is told apart from a timeout.
    if (state.pid !== null && !state.closed) await waitForExit([state.pid], 100);
    const exited = state.closed || (state.pid !== null && !isAlive(state.pid));
    // A failed server gets no graceful EOF wait: straight to SIGTERM.
    await shutdown(client, transport, state, params.graceMs, { graceful: false });
    const diagnosis = diagnoseOpenFailure(
      {
        name,
        config,
        phase,
        cwd,
        exited,
        stdoutNoise: state.protocolErrors,
        stderrTail: lastLines(state.stderrTail),
        logFile: params.logFile,
      },
      err,
    );
    return { ok: false, diagnosis };
  }
}

function createTransport(params: OpenConnectionParams, state: AttemptState, cwd: string | undefined): Transport {
  const { config } = params;
  if (!isStdioServer(config)) {
    return new StreamableHTTPClientTransport(new URL(config.url), { requestInit: { headers: config.headers } });
  }
  const transport = new TrackedStdioTransport({ command: config.command, args: config.args, env: config.env, cwd, stderr: 'pipe' }, (pid) => {
    state.pid = pid;
    params.onProcessChange?.({ pid, alive: true });
  });
  // The stderr stream exists before spawn; reading it always also keeps the pipe from filling up.
  transport.stderr?.on('data', (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    state.stderrTail = (state.stderrTail + text).slice(-STDERR_TAIL_CHARS);
    params.onStderr?.(params.name, text);
  });
  return transport;
}

async function listAll<T>(fetchPage: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor?: string }>): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_LIST_PAGES; page++) {
    const result = await fetchPage(cursor);
    out.push(...result.items);
    cursor = result.nextCursor;
    if (!cursor) break;
  }
  return out;
}

/**
 * Close the client, then make sure the process tree is gone: stdin EOF first
 * (well-behaved servers exit), then SIGTERM, then SIGKILL.
 */
async function shutdown(client: Client, transport: Transport, state: AttemptState, graceMs: number, { graceful = true } = {}): Promise<number[]> {
  // Snapshot the tree before the parent exits: orphans are re-parented and lost.
  const tree = state.pid !== null && isAlive(state.pid) ? [state.pid, ...descendantPids(state.pid)] : [];
  if (transport instanceof StreamableHTTPClientTransport) {
    // Politely end the server-side session; never let a dead server hold up shutdown.
    await Promise.race([transport.terminateSession().catch(() => undefined), delay(graceMs)]);
  }
  const closing = client.close().catch(() => undefined);
  let survivors: number[] = [];
  if (tree.length > 0 && !(graceful && (await waitForExit(tree, graceMs)))) {
    survivors = await terminateProcesses(tree, graceMs);
  }
  await Promise.race([closing, delay(graceMs)]);
  // The transport closes once Node has reaped the child; until then kill(pid, 0) still finds it.
  if (state.pid !== null) await until(() => state.closed, graceMs);
  state.closed = true;
  return survivors;
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await delay(10);
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

/** The last few stderr lines, short enough for a report message. */
function lastLines(text: string, lines = 3, maxChars = 400): string {
  const tail = text.trim().split('\n').slice(-lines).join(' | ');
  return tail.length > maxChars ? `…${tail.slice(-maxChars)}` : tail;
}
