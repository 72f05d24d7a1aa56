import { describe, expect, it } from 'vitest';
import { isStdioServer, validateServer, validateServers } from '../../../src/mcp/config.js';

describe('mcp/config', () => {
  it('applies the documented defaults to a minimal stdio entry', () => {
    const { valid, invalid } = validateServers({ fs: { command: 'mcp-fs' } });
    expect(invalid).toEqual([]);
    expect(valid.fs).toEqual({ command: 'mcp-fs', args: [], env: {}, required: false, startupTimeoutMs: 10_000, callTimeoutMs: 60_000 });
    expect(isStdioServer(valid.fs!)).toBe(true);
  });

  it('accepts a remote entry with headers and keeps explicit values', () => {
    const { valid } = validateServers({
      gh: { url: 'https://mcp.example.com/mcp', headers: { Authorization: 'Bearer t' }, required: true, startupTimeoutMs: 500, callTimeoutMs: 900 },
    });
    expect(valid.gh).toEqual({ url: 'https://mcp.example.com/mcp', headers: { Authorization: 'Bearer t' }, required: true, startupTimeoutMs: 500, callTimeoutMs: 900 });
    expect(isStdioServer(valid.gh!)).toBe(false);
  });

  it('validates each entry on its own so one bad entry never drops the good ones', () => {
    const { valid, invalid } = validateServers({
      good: { command: 'a' },
      bad: { command: 'b', args: 'not-a-list' },
      alsoGood: { url: 'http://localhost:3001/mcp' },
    });
    expect(Object.keys(valid).sort()).toEqual(['alsoGood', 'good']);
    expect(invalid).toHaveLength(1);
    expect(invalid[0]).toMatchObject({ name: 'bad', field: 'args' });
    expect(invalid[0]!.message).toContain('mcp.servers.bad.args');
  });

  it.each([
    ['both command and url', { command: 'x', url: 'http://x' }, 'url', /both "command" and "url"/],
    ['neither command nor url', { args: ['x'] }, 'command', /needs "command" \(stdio server\) or "url"/],
    ['a non-object entry', 'npx server', 'command', /must be an object/],
    ['an unknown key', { command: 'x', enviroment: {} }, 'enviroment', /mcp\.servers\.s\.enviroment: unknown field/],
    ['a non-http url', { url: 'ftp://files.example.com' }, 'url', /mcp\.servers\.s\.url: must be an http:\/\/ or https:\/\/ URL/],
    ['a malformed url', { url: 'not a url' }, 'url', /mcp\.servers\.s\.url/],
    ['an empty command', { command: '' }, 'command', /mcp\.servers\.s\.command/],
    ['a non-string env value', { command: 'x', env: { A: 1 } }, 'env.A', /mcp\.servers\.s\.env\.A/],
    ['a negative startup timeout', { command: 'x', startupTimeoutMs: -5 }, 'startupTimeoutMs', /mcp\.servers\.s\.startupTimeoutMs/],
    ['a fractional call timeout', { url: 'http://x', callTimeoutMs: 1.5 }, 'callTimeoutMs', /mcp\.servers\.s\.callTimeoutMs/],
    ['a string for required', { command: 'x', required: 'yes' }, 'required', /mcp\.servers\.s\.required/],
    ['headers on a stdio server', { command: 'x', headers: {} }, 'headers', /allowed fields for a stdio server/],
  ])('rejects %s and names the bad field', (_label, entry, field, message) => {
    const { valid, invalid } = validateServers({ s: entry });
    expect(valid).toEqual({});
    expect(invalid).toEqual([{ name: 's', field, message: expect.stringMatching(message) }]);
  });

  it('reports every bad field of one entry in a single issue', () => {
    const result = validateServer('s', { command: 5, args: [1], cwd: '' });
    expect('issue' in result).toBe(true);
    if (!('issue' in result)) return;
    expect(result.issue.field).toBe('command');
    for (const field of ['command', 'args.0', 'cwd']) expect(result.issue.message).toContain(`mcp.servers.s.${field}:`);
  });

  it.each(['has space', 'dots.not.allowed', '', 'x'.repeat(65), 'slash/y'])('rejects the server name %j', (name) => {
    const { valid, invalid } = validateServers({ [name]: { command: 'x' } });
    expect(valid).toEqual({});
    expect(invalid).toEqual([{ name, field: 'name', message: expect.stringContaining('server name must be 1-64 letters') }]);
  });

  it('accepts names made of letters, digits, "_" and "-" up to 64 characters', () => {
    const names = ['a', 'my-server_2', 'X'.repeat(64)];
    const { valid, invalid } = validateServers(Object.fromEntries(names.map((n) => [n, { command: 'x' }])));
    expect(invalid).toEqual([]);
    expect(Object.keys(valid)).toEqual(names);
  });
});
