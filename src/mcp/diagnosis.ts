// Turning what went wrong while opening a server into a failure mode, a message
// that says what happened, and a recommendation that names the field to change.
import { existsSync } from 'node:fs';
import { ErrorCode, McpError, SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/sdk/types.js';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { type McpConfigIssue, type McpServerConfig, isStdioServer } from './config.js';
import type { McpFailureDiagnosis } from './report.js';
import { causeChain } from '../failures.js';

/** The step an open attempt had reached when it failed. */
export type OpenPhase = 'spawn' | 'initialize' | 'tools/list' | 'resources/list';

export interface OpenFailureContext {
  name: string;
  config: McpServerConfig;
  phase: OpenPhase;
  /** Resolved working directory of a stdio server. */
  cwd?: string;
  /** The process exited (or the transport closed) before the failure. */
  exited: boolean;
  /** Lines the server wrote to stdout that were not JSON-RPC. */
  stdoutNoise: string[];
  /** Last lines of the server's stderr. */
  stderrTail: string;
  /** Where the full stderr log is, if one is kept. */
  logFile?: string;
}

export function diagnoseConfigIssue(issue: McpConfigIssue): McpFailureDiagnosis {
  return {
    mode: 'config',
    message: issue.message,
    recommendation:
      issue.hint ?? `Fix mcp.servers.${issue.name}${issue.field === 'name' ? ' (rename the server)' : `.${issue.field}`} in the task packet; the server was not started.`,
  };
}

export function diagnoseOpenFailure(ctx: OpenFailureContext, err: unknown): McpFailureDiagnosis {
  const field = (f: string) => `mcp.servers.${ctx.name}.${f}`;
  const seeStderr = ctx.stderrTail ? ` Last stderr: ${ctx.stderrTail}` : '';
  const seeLog = ctx.logFile ? ` (full stderr in ${ctx.logFile})` : '';
  const reason = errorText(err);
  const config = ctx.config;

  if (ctx.phase === 'tools/list' || ctx.phase === 'resources/list') {
    return {
      mode: 'partial',
      message: `MCP server "${ctx.name}" initialized but ${ctx.phase} failed${ctx.exited ? ' (the server exited)' : ''}: ${reason}.${seeStderr}`,
      recommendation: `The server is up but cannot list its ${ctx.phase === 'tools/list' ? 'tools' : 'resources'}; check its own configuration and logs${seeLog}, then fix ${isStdioServer(config) ? `${field('args')} or ${field('env')}` : `the server at ${config.url}`}.`,
    };
  }

  if (isStdioServer(config)) {
    const shown = shellLine(config.command, config.args);
    if (ctx.phase === 'spawn') {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && ctx.cwd && !existsSync(ctx.cwd)) {
        return {
          mode: 'startup',
          message: `MCP server "${ctx.name}" could not start: working directory ${ctx.cwd} does not exist.`,
          recommendation: `Create ${ctx.cwd} or fix ${field('cwd')}.`,
        };
      }
      if (code === 'ENOENT') {
        const where = config.command.includes('/') ? 'does not exist' : 'was not found on PATH';
        return {
          mode: 'startup',
          message: `MCP server "${ctx.name}" could not start: command \`${config.command}\` ${where}.`,
          recommendation: `Install \`${config.command}\` on the worker host or fix ${field('command')}.`,
        };
      }
      if (code === 'EACCES') {
        return {
          mode: 'startup',
          message: `MCP server "${ctx.name}" could not start: command \`${config.command}\` is not executable.`,
          recommendation: `Make \`${config.command}\` executable (chmod +x) or fix ${field('command')}.`,
        };
      }
      return {
        mode: 'startup',
        message: `MCP server "${ctx.name}" could not start \`${shown}\`: ${reason}.`,
        recommendation: `Check ${field('command')} and ${field('cwd')}; run \`${shown}\` by hand on the worker host.`,
      };
    }
    if (ctx.exited) {
      return {
        mode: 'startup',
        message: `MCP server "${ctx.name}" (\`${shown}\`) exited before completing the MCP handshake.${noiseText(ctx)}${seeStderr}`,
        recommendation: `Run \`${shown}\` by hand to see why it exits${seeLog}; fix ${field('command')}, ${field('args')} or ${field('env')} (it gets only HOME, PATH, SHELL, TERM, USER, LOGNAME plus env).`,
      };
    }
    if (isTimeout(err)) {
      if (ctx.stdoutNoise.length > 0) {
        return {
          mode: 'handshake',
          message: `MCP server "${ctx.name}" (\`${shown}\`) wrote non-JSON-RPC output to stdout and never answered initialize within ${config.startupTimeoutMs} ms.${noiseText(ctx)}`,
          recommendation: `Make sure ${field('command')} starts an MCP server in stdio mode (some need an argument such as \`stdio\`) and that it logs to stderr, never stdout.`,
        };
      }
      return {
        mode: 'handshake',
        message: `MCP server "${ctx.name}" (\`${shown}\`) did not answer initialize within ${config.startupTimeoutMs} ms.${seeStderr}`,
        recommendation: `If it is slow to start, raise ${field('startupTimeoutMs')} (now ${config.startupTimeoutMs}); otherwise run \`${shown}\` by hand to see whether it waits for input or credentials${seeLog}.`,
      };
    }
    return {
      mode: 'handshake',
      message: `MCP server "${ctx.name}" (\`${shown}\`) failed the initialize handshake: ${reason}.${noiseText(ctx)}${seeStderr}`,
      recommendation: protocolRecommendation(reason, field('command')),
    };
  }

  // Remote server.
  if (isNetworkError(err)) {
    return {
      mode: 'startup',
      message: `MCP server "${ctx.name}" could not be reached at ${config.url}: ${reason}.`,
      recommendation: `Start the server at ${config.url} (and check the worker host can reach it) or fix ${field('url')}.`,
    };
  }
  if (isTimeout(err)) {
    return {
      mode: 'handshake',
      message: `MCP server "${ctx.name}" at ${config.url} did not answer initialize within ${config.startupTimeoutMs} ms.`,
      recommendation: `Check the server is healthy, or raise ${field('startupTimeoutMs')} (now ${config.startupTimeoutMs}).`,
    };
  }
  if (err instanceof StreamableHTTPError && (err.code === 401 || err.code === 403)) {
    return {
      mode: 'handshake',
      message: `MCP server "${ctx.name}" at ${config.url} refused the connection (HTTP ${err.code}): ${reason}.`,
      recommendation: `Set valid credentials in ${field('headers')} (e.g. Authorization).`,
    };
  }
  if (err instanceof StreamableHTTPError && (err.code === 404 || err.code === 405)) {
    return {
      mode: 'handshake',
      message: `MCP server "${ctx.name}": no MCP endpoint at ${config.url} (HTTP ${err.code}).`,
      recommendation: `Fix ${field('url')}; Streamable HTTP endpoints usually end in /mcp.`,
    };
  }
  return {
    mode: 'handshake',
    message: `MCP server "${ctx.name}" at ${config.url} failed the initialize handshake: ${reason}.`,
    recommendation: protocolRecommendation(reason, field('url')),
  };
}

function protocolRecommendation(reason: string, field: string): string {
  return /protocol version/i.test(reason)
    ? `The server speaks an MCP protocol version this client does not support (supported: ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')}); upgrade the server or change ${field}.`
    : `Check that ${field} points at a working MCP server and run it by hand to see its error.`;
}

function noiseText(ctx: OpenFailureContext): string {
  const first = ctx.stdoutNoise[0];
  return first === undefined ? '' : ` Unexpected stdout: ${JSON.stringify(first.slice(0, 200))}.`;
}

export function isTimeout(err: unknown): boolean {
  return err instanceof McpError && err.code === ErrorCode.RequestTimeout;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);

/** A failure to reach an HTTP server at all (fetch rejects with the socket error as its cause). */
export function isNetworkError(err: unknown): boolean {
  for (const c of causeChain(err)) {
    if (typeof c.code === 'string' && NETWORK_CODES.has(c.code)) return true;
    if (c instanceof TypeError && c.message === 'fetch failed') return true;
  }
  return false;
}

/** The error's message plus its cause's, which is where fetch puts the socket error. */
export function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? err.cause : undefined;
  const causeCode = (cause as NodeJS.ErrnoException | undefined)?.code;
  const base = err.message.replace(/\.$/, '');
  return cause ? `${base} (${causeCode ?? cause.message})` : base;
}

/** A copy-pasteable command line for messages. */
export function shellLine(command: string, args: readonly string[]): string {
  const quote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  return [command, ...args].map(quote).join(' ');
}
