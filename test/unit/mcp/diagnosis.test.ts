import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { validateServer } from '../../../src/mcp/config.js';
import { type OpenFailureContext, diagnoseConfigIssue, diagnoseOpenFailure, shellLine } from '../../../src/mcp/diagnosis.js';

function ctx(entry: Record<string, unknown>, over: Partial<OpenFailureContext> = {}): OpenFailureContext {
  const result = validateServer('srv', entry);
  if (!('config' in result)) throw new TypeError(result.issue.message);
  return { name: 'srv', config: result.config, phase: 'initialize', exited: false, stdoutNoise: [], stderrTail: '', ...over };
}
const errno = (code: string) => Object.assign(new Error(`spawn x ${code}`), { code });
const timeout = () => new McpError(ErrorCode.RequestTimeout, 'Request timed out');

describe('mcp/diagnosis', () => {
  it('names the missing command and the field to fix', () => {
    const d = diagnoseOpenFailure(ctx({ command: 'foo' }, { phase: 'spawn' }), errno('ENOENT'));
    expect(d.mode).toBe('startup');
    expect(d.message).toContain('command `foo` was not found on PATH');
    expect(d.recommendation).toContain('mcp.servers.srv.command');
  });

  it('blames a missing working directory rather than the command', () => {
    const d = diagnoseOpenFailure(ctx({ command: 'node' }, { phase: 'spawn', cwd: '/nonexistent/dir/xyz' }), errno('ENOENT'));
    expect(d.message).toContain('working directory /nonexistent/dir/xyz does not exist');
    expect(d.recommendation).toContain('mcp.servers.srv.cwd');
    expect(d.message).not.toContain('PATH');
  });

  it('reports a process that exited before the handshake as startup, with its stderr', () => {
    const d = diagnoseOpenFailure(ctx({ command: 'srv-bin', args: ['--x'] }, { exited: true, stderrTail: 'missing API key' }), new McpError(ErrorCode.ConnectionClosed, 'Connection closed'));
    expect(d.mode).toBe('startup');
    expect(d.message).toContain('exited before completing the MCP handshake');
    expect(d.message).toContain('missing API key');
    expect(d.recommendation).toContain('srv-bin --x');
  });

  it('reports an initialize timeout as handshake and suggests the timeout field', () => {
    const d = diagnoseOpenFailure(ctx({ command: 'slow', startupTimeoutMs: 250 }), timeout());
    expect(d.mode).toBe('handshake');
    expect(d.message).toContain('within 250 ms');
    expect(d.recommendation).toContain('mcp.servers.srv.startupTimeoutMs (now 250)');
  });

  it('points at stdout pollution when the server wrote non-JSON-RPC lines', () => {
    const d = diagnoseOpenFailure(ctx({ command: 'noisy' }, { stdoutNoise: ['Unexpected token'] }), timeout());
    expect(d.mode).toBe('handshake');
    expect(d.recommendation).toContain('logs to stderr, never stdout');
  });

  it('classifies discovery failures as partial', () => {
    const d = diagnoseOpenFailure(ctx({ command: 'x' }, { phase: 'resources/list' }), new McpError(ErrorCode.InternalError, 'boom'));
    expect(d.mode).toBe('partial');
    expect(d.message).toContain('resources/list failed');
  });

  it.each([
    [Object.assign(new TypeError('fetch failed'), { cause: errno('ECONNREFUSED') }), 'startup', 'mcp.servers.srv.url'],
    [new StreamableHTTPError(401, 'Unauthorized'), 'handshake', 'mcp.servers.srv.headers'],
    [new StreamableHTTPError(404, 'Not Found'), 'handshake', '/mcp'],
    [timeout(), 'handshake', 'mcp.servers.srv.startupTimeoutMs'],
  ] as const)('classifies remote failure %s', (err, mode, hint) => {
    const d = diagnoseOpenFailure(ctx({ url: 'http://127.0.0.1:9/mcp' }), err);
    expect(d.mode).toBe(mode);
    expect(d.recommendation).toContain(hint);
  });

  it('turns a config issue into a non-started config failure naming the field', () => {
    const d = diagnoseConfigIssue({ name: 'srv', field: 'args', message: 'mcp.servers.srv.args: bad' });
    expect(d).toEqual({ mode: 'config', message: 'mcp.servers.srv.args: bad', recommendation: expect.stringContaining('mcp.servers.srv.args') });
  });

  it('quotes command lines so they can be pasted into a shell', () => {
    expect(shellLine('node', ['a b', "it's", '--x=1'])).toBe(`node 'a b' 'it'\\''s' --x=1`);
  });
});
