// Reading the MCP server entries that `lanes mcp check` tests: either a task
// packet (its `mcp.servers`) or a bare config file `{ "servers": { ... } }`,
// each as JSON or YAML. The entries stay unvalidated on purpose: a bad entry is
// a `config` failure in the report, exactly as it would be in a lane.
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { LanesError } from '../errors.js';
import { formatPacketIssues, validatePacket } from '../packet/parse.js';

/** A config file holding only server entries (the same entries a packet has under `mcp.servers`). */
export const McpServersFileSchema = z
  .object({
    servers: z.record(z.string(), z.unknown()).describe('MCP servers by name, as in a packet under mcp.servers.'),
  })
  .strict();

export interface McpServersSource {
  /** What the file was read as. */
  kind: 'packet' | 'config';
  /** The entries, unvalidated. */
  servers: Record<string, unknown>;
  /** For a packet with `repo.path`: that path, resolved against the packet's folder (a lane runs its servers in a checkout of it). */
  repoPath?: string;
}

/**
 * Reads a packet or a `{ servers }` config file. A document with a top-level
 * `servers` key is a config file; anything else must be a valid task packet.
 * Throws LanesError('validation') naming the file and what is wrong.
 */
export async function loadMcpServersFile(path: string): Promise<McpServersSource> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const what = code === 'ENOENT' ? 'file does not exist' : code === 'EISDIR' ? 'is a directory' : `cannot read: ${(err as Error).message}`;
    throw new LanesError('validation', `${path}: ${what}`, 'Pass a task packet or an MCP config file ({ "servers": { ... } }) as JSON or YAML.');
  }
  return parseMcpServersText(text, path);
}

/** parseMcpServersText(text, source): the parsing half of loadMcpServersFile. */
export function parseMcpServersText(text: string, source: string): McpServersSource {
  const value = decode(text, source);
  if (isObject(value) && 'servers' in value) {
    const parsed = McpServersFileSchema.safeParse(value, { reportInput: true });
    if (!parsed.success) {
      throw new LanesError('validation', formatPacketIssues(parsed.error.issues, source, McpServersFileSchema).join('\n'), 'An MCP config file is { "servers": { "<name>": { "command": ... } | { "url": ... } } } and nothing else.');
    }
    return { kind: 'config', servers: parsed.data.servers };
  }
  if (!isObject(value)) {
    throw new LanesError('validation', `${source}: expected an object (a task packet or { "servers": { ... } }), got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`, 'Pass a task packet or an MCP config file.');
  }
  const packet = validatePacket(value, source);
  const repoPath = packet.repo.path === undefined ? undefined : isAbsolute(packet.repo.path) ? packet.repo.path : resolve(dirname(source), packet.repo.path);
  return { kind: 'packet', servers: packet.mcp.servers, ...(repoPath ? { repoPath } : {}) };
}

function decode(text: string, source: string): unknown {
  if (text.trim() === '') throw new LanesError('validation', `${source}: the file is empty`, 'Write a task packet or { "servers": { ... } } into it.');
  // YAML 1.2 is a superset of JSON, so one parser reads both formats.
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    const lines = doc.errors.map((e) => {
      const pos = e.linePos?.[0];
      return `${source}: invalid JSON/YAML${pos ? ` at line ${pos.line}, column ${pos.col}` : ''}: ${(e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, '').trim()}`;
    });
    throw new LanesError('validation', lines.join('\n'), 'Fix the syntax (brackets, quotes, indentation, duplicate keys).');
  }
  try {
    return doc.toJS({ maxAliasCount: 100 }) as unknown;
  } catch (err) {
    throw new LanesError('validation', `${source}: invalid YAML: ${(err as Error).message}`, 'Remove YAML aliases/anchors.');
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
