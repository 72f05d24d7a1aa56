// The MCP servers of one lane inside one worker process: start them all,
// expose their tools under qualified names, call tools with one restart on a
// crash, and stop them leaving no process behind.
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { LanesError } from '../errors.js';
import type { FailureClass } from '../failures.js';
import { LANES_VERSION } from '../package-info.js';
import { type McpServerConfig, validateServers } from './config.js';
import { type McpConnection, type OpenResult, openConnection } from './connection.js';
import { diagnoseConfigIssue, errorText, isNetworkError, isTimeout } from './diagnosis.js';
import { resolveEnvRefs } from './env-refs.js';
import { type McpProcessRecord, writePidFile } from './pid-file.js';
import { isAlive, processStartTime } from '../shell/processes.js';
import { type McpFailedServer, type McpHealthyServer, type McpReport, buildReport, failedServer } from './report.js';
import { StderrLog } from './stderr-log.js';
import { renderToolResult } from './tool-output.js';
import { qualifiedToolName } from './tool-names.js';

export const LANES_CLIENT_INFO = { name: 'lanes', version: LANES_VERSION } as const;

export interface McpSessionOptions {
  /** Working directory for stdio servers without `cwd`, and base for relative ones (normally the lane worktree). Default: this process's cwd. */
  cwd?: string;
  /** Append every server's stderr here, each line prefixed `[<server>]`. Default: stderr is kept only in memory (last lines, for messages). */
  logFile?: string;
  /** Keep a record of live server pids here so a later worker can reap them after a crash (see reapRecordedProcesses). */
  pidFile?: string;
  /** Grace in ms after stdin EOF before SIGTERM, and after SIGTERM before SIGKILL. Default 1000. */
  stopGraceMs?: number;
  /** How Lanes introduces itself in initialize. */
  clientInfo?: { name: string; version: string };
  /** Where `${NAME}` references in env and headers are looked up. Default: process.env (the worker's environment). */
  env?: NodeJS.ProcessEnv;
}

/** A tool as offered to the model. */
export interface McpToolDescriptor {
  /** `mcp__<server>__<tool>`: the name the model uses and callTool takes. */
  qualifiedName: string;
  server: string;
  /** The server's own tool name. */
  tool: string;
  description: string;
  /** JSON Schema of the arguments, as the server declared it. */
  inputSchema: Record<string, unknown>;
}

export interface McpCallOptions {
  /** Deadline for this call in ms. Default: the server's callTimeoutMs. */
  timeoutMs?: number;
  /** Aborting cancels the call (the server gets notifications/cancelled); the result has class `cancelled`. */
  signal?: AbortSignal;
}

/** Never thrown: every outcome of a call, including tool errors and crashes, is a result. */
export interface McpToolCallResult {
  ok: boolean;
  /** The tool's text output, or what went wrong. */
  output: string;
  /** Set when ok is false: `tool_runtime`, or `cancelled` when the signal aborted the call. */
  class?: FailureClass;
  /** The server was restarted during this call (it had died or died mid-call). */
  restarted: boolean;
}

export interface McpStopResult {
  /** Servers that were still running and were shut down. */
  stopped: number;
  /** Pids still alive after SIGKILL (normally none). */
  survivors: number[];
}

type SessionPhase = 'new' | 'starting' | 'started' | 'stopped';

interface ManagedServer {
  name: string;
  config: McpServerConfig;
  /** Undefined after it died and a restart failed. */
  connection: McpConnection | undefined;
  /** Bumped by each restart, so concurrent calls that saw the same crash share one restart. */
  generation: number;
  restarting: Promise<RestartOutcome> | undefined;
}

type RestartOutcome = { ok: true } | { ok: false; message: string };

interface IndexedTool {
  server: string;
  descriptor: McpToolDescriptor;
}

export class McpSession {
  private phase: SessionPhase = 'new';
  private starting: Promise<McpReport> | undefined;
  private stopping: Promise<McpStopResult> | undefined;
  private lastReport: McpReport | undefined;
  private readonly servers = new Map<string, ManagedServer>();
  private readonly toolIndex = new Map<string, IndexedTool>();
  private readonly failedAtStart = new Map<string, McpFailedServer>();
  private readonly livePids = new Map<number, McpProcessRecord>();
  private readonly log: StderrLog | undefined;
  private readonly graceMs: number;

  constructor(private readonly options: McpSessionOptions = {}) {
    this.log = options.logFile ? new StderrLog(options.logFile) : undefined;
    this.graceMs = options.stopGraceMs ?? 1_000;
  }

  /**
   * Validates the entries, opens every valid server in parallel (initialize
   * within its startupTimeoutMs, then tools/list and resources/list), retries a
   * failed server once, and returns the report. Never throws for server
   * failures; throws LanesError(conflict) if the session was already started.
   */
  async start(entries: Record<string, unknown>): Promise<McpReport> {
    if (this.phase !== 'new') {
      throw new LanesError('conflict', `this MCP session was already ${this.phase === 'stopped' ? 'stopped' : 'started'}`, 'Create a new McpSession (or use McpRegistry.ensure) to start servers again.');
    }
    this.phase = 'starting';
    this.starting = this.startAll(entries);
    const report = await this.starting;
    if (this.phase === 'starting') this.phase = 'started';
    return report;
  }

  /** The report of the last start, or undefined before start has finished. */
  report(): McpReport | undefined {
    return this.lastReport;
  }

  /** Tools of the healthy servers, in server-name order. */
  tools(): McpToolDescriptor[] {
    return [...this.toolIndex.values()].map((t) => t.descriptor);
  }

  /** Pids of every stdio server process started and not yet seen exiting (healthy or still starting). */
  startedPids(): number[] {
    return [...this.livePids.keys()].filter((pid) => isAlive(pid));
  }

  /** Pids of the live stdio server processes. */
  pids(): number[] {
    const out: number[] = [];
    for (const server of this.servers.values()) {
      const pid = server.connection?.pid;
      if (pid !== undefined && pid !== null && isAlive(pid)) out.push(pid);
    }
    return out;
  }

  /**
   * Calls `mcp__<server>__<tool>`. A server found dead, or dying mid-call, is
   * restarted once and the call retried once. Never throws: tool errors
   * (isError), timeouts, protocol errors and crashes are ok:false results.
   */
  async callTool(qualifiedName: string, args: Record<string, unknown>, options: McpCallOptions = {}): Promise<McpToolCallResult> {
    if (this.phase === 'stopped') return failure(`MCP tool ${qualifiedName} was called after the lane's MCP session was stopped.`, false);
    if (options.signal?.aborted) return { ok: false, output: `MCP tool ${qualifiedName} was cancelled before it started.`, class: 'cancelled', restarted: false };
    const indexed = this.toolIndex.get(qualifiedName);
    const server = indexed && this.servers.get(indexed.server);
    if (!indexed || !server) return failure(this.unknownToolMessage(qualifiedName), false);
    const tool = indexed.descriptor.tool;
    const callOptions = { timeoutMs: options.timeoutMs ?? server.config.callTimeoutMs, signal: options.signal };

    let restarted = false;
    let generation = server.generation;
    if (!server.connection?.alive) {
      restarted = true;
      const outcome = await this.restart(server, generation);
      if (!outcome.ok) return failure(`MCP server "${server.name}" is down and restarting it failed, so ${qualifiedName} did not run: ${outcome.message}`, true);
      generation = server.generation;
    }

    let connection = server.connection;
    if (!connection) return failure(`MCP server "${server.name}" is down, so ${qualifiedName} did not run.`, restarted);
    try {
      return toCallResult(await connection.callTool(tool, args, callOptions), restarted);
    } catch (err) {
      if (options.signal?.aborted) return { ok: false, output: `MCP tool ${qualifiedName} was cancelled.`, class: 'cancelled', restarted };
      if (restarted || !isConnectionLost(err, connection)) return failure(callErrorMessage(qualifiedName, server, err, callOptions.timeoutMs, connection, restarted), restarted);
    }

    // The server died (or its transport closed) mid-call: restart once, retry once.
    const died = `MCP server "${server.name}" died during ${qualifiedName}${stderrNote(connection)}`;
    const outcome = await this.restart(server, generation);
    if (!outcome.ok || !server.connection) return failure(`${died}; restarting it failed: ${outcome.ok ? 'it went down again' : outcome.message}`, true);
    connection = server.connection;
    try {
      return toCallResult(await connection.callTool(tool, args, callOptions), true);
    } catch (err) {
      if (options.signal?.aborted) return { ok: false, output: `MCP tool ${qualifiedName} was cancelled.`, class: 'cancelled', restarted: true };
      if (isConnectionLost(err, connection)) {
        return failure(`${died}, was restarted once, and died again on the retried call${stderrNote(connection)}. It crashes on this call; check its stderr${this.options.logFile ? ` in ${this.options.logFile}` : ''} before calling it again.`, true);
      }
      return failure(`${died} and was restarted once; the retried call failed: ${callErrorMessage(qualifiedName, server, err, callOptions.timeoutMs, connection, true)}`, true);
    }
  }

  /**
   * Closes every client and makes sure every spawned process is dead (stdin
   * EOF, SIGTERM, SIGKILL, verified with kill(pid, 0)). Waits for a start in
   * progress first. Idempotent: later calls return the first call's result.
   */
  async stop(): Promise<McpStopResult> {
    this.stopping ??= this.stopAll();
    return this.stopping;
  }

  private async stopAll(): Promise<McpStopResult> {
    await this.starting?.catch(() => undefined);
    this.phase = 'stopped';
    await Promise.all([...this.servers.values()].map((s) => s.restarting));
    const connections = [...this.servers.values()].flatMap((s) => (s.connection ? [s.connection] : []));
    for (const s of this.servers.values()) s.connection = undefined;
    const alive = connections.filter((c) => c.alive).length;
    const survivors = (await Promise.all(connections.map((c) => c.close()))).flat();
    if (survivors.length > 0) this.log?.write('lanes', `pids ${survivors.join(', ')} survived SIGKILL`);
    await this.log?.close();
    this.recordPids();
    return { stopped: alive, survivors };
  }

  private async startAll(entries: Record<string, unknown>): Promise<McpReport> {
    const { valid, invalid } = validateServers(entries);
    const failed = invalid.map((issue) => failedServer(issue.name, diagnoseConfigIssue(issue), 0));
    const healthy: McpHealthyServer[] = [];
    const runnable: [string, McpServerConfig][] = [];
    for (const [name, config] of Object.entries(valid)) {
      const resolved = resolveEnvRefs(name, config, this.options.env ?? process.env);
      if ('issue' in resolved) failed.push(failedServer(name, diagnoseConfigIssue(resolved.issue), 0));
      else runnable.push([name, resolved.config]);
    }
    await Promise.all(
      runnable.map(async ([name, config]) => {
        let result = await this.open(name, config);
        let attempts = 1;
        if (!result.ok && this.phase === 'starting') {
          result = await this.open(name, config);
          attempts = 2;
        }
        if (result.ok) {
          this.servers.set(name, { name, config, connection: result.connection, generation: 0, restarting: undefined });
          healthy.push(result.healthy);
        } else {
          failed.push(failedServer(name, result.diagnosis, attempts));
        }
      }),
    );
    const report = buildReport(healthy, failed);
    for (const f of report.failed) this.failedAtStart.set(f.name, f);
    this.indexTools(report);
    this.lastReport = report;
    return report;
  }

  private indexTools(report: McpReport): void {
    for (const { name } of report.healthy) {
      const server = this.servers.get(name);
      for (const tool of server?.connection?.tools ?? []) {
        const qualifiedName = qualifiedToolName(name, tool.name);
        // Only "a__b"+"c" vs "a"+"b__c" can collide; the first (by server name) keeps the name.
        if (this.toolIndex.has(qualifiedName)) {
          this.log?.write('lanes', `tool ${tool.name} of server ${name} is hidden: ${qualifiedName} is already taken`);
          continue;
        }
        this.toolIndex.set(qualifiedName, {
          server: name,
          descriptor: { qualifiedName, server: name, tool: tool.name, description: tool.description ?? tool.title ?? '', inputSchema: tool.inputSchema },
        });
      }
    }
  }

  private open(name: string, config: McpServerConfig): Promise<OpenResult> {
    return openConnection({
      name,
      config,
      cwd: this.options.cwd,
      clientInfo: this.options.clientInfo ?? LANES_CLIENT_INFO,
      graceMs: this.graceMs,
      logFile: this.options.logFile,
      onStderr: this.log ? (server, text) => this.log?.write(server, text) : undefined,
      onProcessChange: (event) => {
        if (event.alive) this.livePids.set(event.pid, { server: name, pid: event.pid, startTime: processStartTime(event.pid) });
        else this.livePids.delete(event.pid);
        this.recordPids();
      },
    });
  }

  private recordPids(): void {
    if (!this.options.pidFile) return;
    for (const pid of this.livePids.keys()) if (!isAlive(pid)) this.livePids.delete(pid);
    try {
      writePidFile(this.options.pidFile, [...this.livePids.values()]);
    } catch (err) {
      // Losing the record only weakens crash cleanup; it must not fail a start or a call.
      this.log?.write('lanes', `could not update ${this.options.pidFile}: ${errorText(err)}`);
    }
  }

  /** Replaces the server's connection; callers that saw the same generation share one restart. */
  private restart(server: ManagedServer, seenGeneration: number): Promise<RestartOutcome> {
    if (this.phase === 'stopped') return Promise.resolve({ ok: false, message: 'the session was stopped' });
    if (server.generation !== seenGeneration && !server.restarting) {
      return Promise.resolve(server.connection ? { ok: true } : { ok: false, message: 'an earlier restart failed' });
    }
    server.restarting ??= (async (): Promise<RestartOutcome> => {
      const old = server.connection;
      server.connection = undefined;
      await old?.close();
      const result = await this.open(server.name, server.config);
      server.generation += 1;
      if (!result.ok) return { ok: false, message: `${result.diagnosis.message} ${result.diagnosis.recommendation}` };
      if (this.phase === 'stopped') {
        await result.connection.close();
        return { ok: false, message: 'the session was stopped' };
      }
      server.connection = result.connection;
      return { ok: true };
    })().finally(() => {
      server.restarting = undefined;
    });
    return server.restarting;
  }

  private unknownToolMessage(qualifiedName: string): string {
    for (const [name, f] of this.failedAtStart) {
      if (qualifiedName.startsWith(qualifiedToolName(name, ''))) {
        return `MCP tool ${qualifiedName} is unavailable: server "${name}" failed at start (${f.failure_mode}): ${f.message} ${f.recommendation}`;
      }
    }
    const known = [...this.toolIndex.keys()];
    return `Unknown MCP tool ${qualifiedName}. Available: ${known.length > 0 ? known.join(', ') : 'none'}.`;
  }
}

function failure(output: string, restarted: boolean): McpToolCallResult {
  return { ok: false, output, class: 'tool_runtime', restarted };
}

function toCallResult(result: CallToolResult, restarted: boolean): McpToolCallResult {
  const output = renderToolResult(result);
  return result.isError ? { ok: false, output, class: 'tool_runtime', restarted } : { ok: true, output, restarted };
}

/** The process or transport is gone, as opposed to the server answering with an error. */
function isConnectionLost(err: unknown, connection: McpConnection): boolean {
  if (err instanceof McpError && err.code === ErrorCode.ConnectionClosed) return true;
  if (err instanceof StreamableHTTPError && err.code === 404) return true; // session lost: the server restarted
  if (err instanceof Error && err.message === 'Not connected') return true;
  return isNetworkError(err) || !connection.alive;
}

function stderrNote(connection: McpConnection): string {
  const tail = connection.stderrTail;
  return tail ? ` (last stderr: ${tail})` : '';
}

function callErrorMessage(qualifiedName: string, server: ManagedServer, err: unknown, timeoutMs: number, connection: McpConnection, restarted: boolean): string {
  if (isTimeout(err)) {
    return `MCP tool ${qualifiedName} timed out after ${timeoutMs} ms (the server is still running). Retry with a smaller request, or raise mcp.servers.${server.name}.callTimeoutMs.`;
  }
  if (err instanceof McpError && err.code === ErrorCode.InvalidParams) {
    return `MCP tool ${qualifiedName} rejected its arguments: ${errorText(err)}. Check the arguments against the tool's inputSchema.`;
  }
  if (isConnectionLost(err, connection)) {
    return `MCP server "${server.name}" died during ${qualifiedName}${restarted ? ' right after a restart' : ''}${stderrNote(connection)}: ${errorText(err)}.`;
  }
  return `MCP tool ${qualifiedName} failed: ${errorText(err)}.`;
}
