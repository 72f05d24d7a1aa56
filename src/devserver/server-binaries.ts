// Finds or builds the production Temporal server (`server`) and its schema tool
// (`sql`, i.e. temporal-sql-tool), pinned to the server version the CLI embeds.
// Order: TEMPORAL_SERVER_PATH / TEMPORAL_SQL_TOOL_PATH, the lanes cache, `go install` into the cache.
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { LanesError } from '../errors.js';
import { isExecutable } from './provision.js';
import { TEMPORAL_SERVER_MODULE, TEMPORAL_SERVER_VERSION } from './version.js';

export interface ServerBinaries {
  server: string;
  sqlTool: string;
}

type Tool = { key: keyof ServerBinaries; file: string; envVar: string; pkg: string };
const TOOLS: readonly Tool[] = [
  { key: 'server', file: 'server', envVar: 'TEMPORAL_SERVER_PATH', pkg: 'cmd/server' },
  { key: 'sqlTool', file: 'sql', envVar: 'TEMPORAL_SQL_TOOL_PATH', pkg: 'cmd/tools/sql' },
];

/** Beside the CLI's cache folder: ~/.cache/lanes/temporal-server-v<version>. */
export function serverCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'lanes', `temporal-server-v${TEMPORAL_SERVER_VERSION}`);
}

function locate(tool: Tool, env: NodeJS.ProcessEnv): string | undefined {
  const explicit = env[tool.envVar];
  if (explicit) {
    if (!isExecutable(explicit)) {
      throw new LanesError('validation', `${tool.envVar}=${explicit} is not an executable file`, `Unset ${tool.envVar} to use the cached build, or point it at a Temporal ${tool.file} v${TEMPORAL_SERVER_VERSION} binary.`);
    }
    return explicit;
  }
  const cached = join(serverCacheDir(env), tool.file);
  return isExecutable(cached) ? cached : undefined;
}

/** The binaries if present (never builds): for `lanes setup --check` and doctor. */
export function findServerBinaries(env: NodeJS.ProcessEnv = process.env): Partial<ServerBinaries> {
  const found: Partial<ServerBinaries> = {};
  for (const tool of TOOLS) {
    const path = locate(tool, env);
    if (path) found[tool.key] = path;
  }
  return found;
}

/**
 * The binaries, building the missing ones with `go install` (minutes on a fresh machine;
 * instant once cached). A missing Go toolchain is a clear error naming the alternatives.
 */
export async function provisionServerBinaries(opts: { env?: NodeJS.ProcessEnv; install?: boolean; onProgress?: (line: string) => void } = {}): Promise<ServerBinaries> {
  const env = opts.env ?? process.env;
  const found = findServerBinaries(env);
  const dir = serverCacheDir(env);
  for (const tool of TOOLS) {
    if (found[tool.key]) continue;
    const hint = `Install Go and run \`lanes setup --production\` (go install ${TEMPORAL_SERVER_MODULE}/${tool.pkg}@v${TEMPORAL_SERVER_VERSION} into ${dir}), or set ${tool.envVar}.`;
    if (opts.install === false) throw new LanesError('unavailable', `no Temporal ${tool.file} binary in ${dir}`, hint, 'infra');
    mkdirSync(dir, { recursive: true });
    opts.onProgress?.(`building Temporal ${tool.file} v${TEMPORAL_SERVER_VERSION} with go install (first run only; several minutes)...`);
    try {
      await execa('go', ['install', `${TEMPORAL_SERVER_MODULE}/${tool.pkg}@v${TEMPORAL_SERVER_VERSION}`], {
        env: { ...env, GOBIN: dir, CGO_ENABLED: env.CGO_ENABLED ?? '0' },
        cwd: dir,
        timeout: 30 * 60_000,
        all: true,
      });
    } catch (e) {
      const detail = ((e as { all?: string }).all || (e as Error).message).split('\n').slice(-5).join(' | ');
      throw new LanesError('unavailable', `go install of the Temporal ${tool.file} failed: ${detail}`, hint, 'infra');
    }
    found[tool.key] = join(dir, tool.file);
  }
  return found as ServerBinaries;
}
