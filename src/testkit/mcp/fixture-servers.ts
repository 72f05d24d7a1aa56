// Commands that start the fixture MCP servers and the third-party ones from
// devDependencies as real processes. Fixtures run as compiled JS, so
// `npm run build` (or `npx tsc -p tsconfig.build.json`) must have produced
// dist/testkit/mcp/ first; `npm test` builds before it runs.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LanesError } from '../../errors.js';

export const FIXTURE_SERVERS = ['echo-server', 'crash-on-call-server', 'hang-server', 'bad-handshake-server'] as const;
export type FixtureServerName = (typeof FIXTURE_SERVERS)[number];

export interface ServerCommand {
  command: string;
  args: string[];
}

/** The repository root: the nearest folder above this module whose package.json is named "lanes". */
export function repoRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'lanes') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new LanesError('not_found', `no lanes package.json above ${from}`, 'Run from inside the lanes checkout.');
    dir = parent;
  }
}

/**
 * `{ command, args }` that runs a fixture server with this Node binary, e.g.
 * `fixtureServerCommand('crash-on-call-server', ['--marker', file])`.
 * Throws LanesError(not_found) when dist/ has not been built.
 */
export function fixtureServerCommand(name: FixtureServerName, args: string[] = []): ServerCommand {
  const script = join(repoRoot(), 'dist', 'testkit', 'mcp', `${name}.js`);
  if (!existsSync(script)) {
    throw new LanesError('not_found', `fixture MCP server ${script} is missing`, 'Run `npm run build` (or `npx tsc -p tsconfig.build.json`) first.');
  }
  return { command: process.execPath, args: [script, ...args] };
}

/** Third-party MCP servers installed as devDependencies. */
export const THIRD_PARTY_SERVERS = {
  /** `args`: the transport, `stdio` (default) or `streamableHttp` (listens on $PORT, path /mcp). */
  everything: '@modelcontextprotocol/server-everything',
  /** `args`: the directories the server may access. */
  filesystem: '@modelcontextprotocol/server-filesystem',
} as const;

export function thirdPartyServerCommand(name: keyof typeof THIRD_PARTY_SERVERS, args: string[] = []): ServerCommand {
  const script = join(repoRoot(), 'node_modules', THIRD_PARTY_SERVERS[name], 'dist', 'index.js');
  if (!existsSync(script)) {
    throw new LanesError('not_found', `MCP server package ${THIRD_PARTY_SERVERS[name]} is not installed (${script})`, 'Run `npm install` in the lanes checkout.');
  }
  return { command: process.execPath, args: [script, ...args] };
}
