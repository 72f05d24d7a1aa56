import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LanesError } from '../../../src/errors.js';
import { loadMcpServersFile, parseMcpServersText } from '../../../src/mcp/servers-file.js';

const PACKET = {
  objective: 'x',
  repo: { path: '../repo', baseBranch: 'main' },
  acceptance: { targeted: ['true'] },
  agent: { provider: 'anthropic', model: 'm' },
};

function validationError(fn: () => unknown): LanesError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(LanesError);
    expect((err as LanesError).code).toBe('validation');
    return err as LanesError;
  }
  throw new Error('expected a validation error');
}

describe('mcp/servers-file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lanes-servers-file-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a JSON config file and keeps invalid entries unvalidated for the report', () => {
    const src = parseMcpServersText(JSON.stringify({ servers: { a: { command: 'x' }, bad: { command: 'y', args: 'nope' } } }), '/cfg/servers.json');
    expect(src).toEqual({ kind: 'config', servers: { a: { command: 'x' }, bad: { command: 'y', args: 'nope' } } });
    expect(src.repoPath).toBeUndefined();
  });

  it('reads a YAML config file', () => {
    expect(parseMcpServersText('servers:\n  fs:\n    command: mcp-fs\n    args: [/srv]\n', 'servers.yaml')).toEqual({ kind: 'config', servers: { fs: { command: 'mcp-fs', args: ['/srv'] } } });
  });

  it("reads a packet's mcp.servers and resolves its repo.path against the packet's folder", () => {
    const src = parseMcpServersText(JSON.stringify({ ...PACKET, mcp: { servers: { e: { command: 'echo' } } } }), '/work/packets/p.json');
    expect(src).toEqual({ kind: 'packet', servers: { e: { command: 'echo' } }, repoPath: '/work/repo' });
    expect(parseMcpServersText(JSON.stringify(PACKET), '/p.json').servers).toEqual({});
  });

  it('refuses an invalid packet, a config file with other keys, a non-object and broken syntax, naming the file', () => {
    expect(validationError(() => parseMcpServersText(JSON.stringify({ objective: 'x' }), 'p.json')).message).toContain('p.json: repo');
    expect(validationError(() => parseMcpServersText(JSON.stringify({ servers: {}, extra: 1 }), 'c.json')).message).toContain('c.json: extra: unknown key');
    expect(validationError(() => parseMcpServersText(JSON.stringify({ servers: [] }), 'c.json')).message).toContain('c.json: servers');
    expect(validationError(() => parseMcpServersText('[1, 2]', 'a.json')).message).toContain('got an array');
    expect(validationError(() => parseMcpServersText('{ "servers": {', 'b.json')).message).toMatch(/^b\.json: invalid JSON\/YAML/);
    expect(validationError(() => parseMcpServersText('  \n', 'e.yaml')).message).toContain('e.yaml: the file is empty');
  });

  it('refuses a missing file and a directory with a validation error', async () => {
    await expect(loadMcpServersFile(join(dir, 'nope.json'))).rejects.toMatchObject({ code: 'validation', message: expect.stringContaining('does not exist') });
    await expect(loadMcpServersFile(dir)).rejects.toMatchObject({ code: 'validation', message: expect.stringContaining('is a directory') });
    writeFileSync(join(dir, 's.json'), JSON.stringify({ servers: { a: { url: 'http://h/mcp' } } }));
    await expect(loadMcpServersFile(join(dir, 's.json'))).resolves.toEqual({ kind: 'config', servers: { a: { url: 'http://h/mcp' } } });
  });
});
