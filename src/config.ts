// Where Lanes finds its Temporal server, task queue and home folder.
// Precedence: explicit flag > environment variable > $LANES_HOME/config.json > default.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { type ConnectionFlags, ConnectionFileSchema, type ConnectionSettings, resolveConnectionSettings } from './connection/settings.js';
import { LanesError } from './errors.js';
import { isRemoteUrl } from './shared/repo-url.js';

export const DEFAULT_ADDRESS = 'localhost:7233';
export const DEFAULT_NAMESPACE = 'default';
export const DEFAULT_TASK_QUEUE = 'lanes';
export const DEFAULT_SERVER_PORT = 7233;
export const DEFAULT_UI_PORT = 8233;

/** Model-name prefix -> context window in tokens (config `contextWindows`, LANES_CONTEXT_WINDOWS). */
export const ContextWindowsSchema = z.record(z.string().min(1), z.number().int().positive());

export const ConfigFileSchema = z
  .object({
    address: z.string().min(1).optional(),
    /** The frontend's HTTP API (host:port): read commands take it instead of gRPC (docs/performance.md). */
    httpAddress: z.string().min(1).optional(),
    namespace: z.string().min(1).optional(),
    taskQueue: z.string().min(1).optional(),
    /** Repositories under these roots are trusted without an explicit `lanes trust`. */
    trustedRoots: z.array(z.string().min(1)).optional(),
    /** Context window in tokens by model-name prefix; extends and overrides the built-in table. */
    contextWindows: ContextWindowsSchema.optional(),
    /** TLS to the Temporal frontend (docs/production.md); flags and TEMPORAL_TLS_* override it. */
    tls: ConnectionFileSchema.optional(),
    /** File holding the Temporal API key (TEMPORAL_API_KEY overrides it). */
    apiKeyFile: z.string().min(1).optional(),
    /** Lane sandbox settings of this worker (docs/security.md). */
    sandbox: z.object({ allowHostNetwork: z.boolean().optional() }).strict().optional(),
  })
  .strict();
export type ConfigFile = z.infer<typeof ConfigFileSchema>;

export interface LanesConfig {
  home: string;
  address: string;
  /** The frontend's HTTP API as set (flag, env TEMPORAL_HTTP_ADDRESS, config file; `none` = off); else found by src/client/http-address.ts. */
  httpAddress?: string;
  namespace: string;
  taskQueue: string;
  trustedRoots: string[];
  /** Context-window overrides: config file entries, LANES_CONTEXT_WINDOWS entries on top. */
  contextWindows: Record<string, number>;
  configFile: string;
  /** TLS and API key for the Temporal connection (plaintext when unset). */
  connection: ConnectionSettings;
  /** Lanes continue-as-new past this many history events (env LANES_HISTORY_EVENT_LIMIT). */
  historyEventLimit?: number;
  /** Lanes re-home when a host-bound step waits this long for its host (env LANES_REHOME_AFTER_MS). */
  rehomeAfterMs?: number;
}

export function lanesHome(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.LANES_HOME ?? join(homedir(), '.lanes'));
}

function readConfigFile(path: string): ConfigFile {
  if (!existsSync(path)) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new LanesError('validation', `config file ${path} is not valid JSON: ${(e as Error).message}`, 'Fix the JSON or remove the file.');
  }
  const parsed = ConfigFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new LanesError('validation', `config file ${path}: ${issue.path.join('.') || '(root)'}: ${issue.message}`, 'Allowed keys: address, httpAddress, namespace, taskQueue, trustedRoots, contextWindows, tls, apiKeyFile, sandbox.');
  }
  return parsed.data;
}

function parseLimit(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 20) {
    throw new LanesError('validation', `LANES_HISTORY_EVENT_LIMIT must be an integer >= 20, got "${value}"`, 'Unset it to use the default (10000).');
  }
  return n;
}

/** LANES_CONTEXT_WINDOWS: a JSON object of model-name prefix -> tokens, e.g. {"llama3.1":32768}. */
export function parseContextWindowsEnv(raw: string | undefined): Record<string, number> {
  if (raw === undefined || raw.trim() === '') return {};
  const hint = 'Set LANES_CONTEXT_WINDOWS to a JSON object of model-name prefix to tokens, e.g. {"llama3.1":32768}, or unset it.';
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (e) {
    throw new LanesError('validation', `LANES_CONTEXT_WINDOWS is not valid JSON: ${(e as Error).message}`, hint);
  }
  const parsed = ContextWindowsSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new LanesError('validation', `LANES_CONTEXT_WINDOWS${issue.path.map((p) => `.${String(p)}`).join('')}: ${issue.message}`, hint);
  }
  return parsed.data;
}

/** Context-window overrides for a worker whose home is `home`: config file entries, env entries on top. */
export function contextWindowOverrides(home: string, env: NodeJS.ProcessEnv = process.env): Record<string, number> {
  return { ...readConfigFile(join(home, 'config.json')).contextWindows, ...parseContextWindowsEnv(env.LANES_CONTEXT_WINDOWS) };
}

/**
 * Whether packets may run lane commands on the host network (`sandbox.network: host`):
 * LANES_SANDBOX_ALLOW_HOST_NETWORK=1 or config `sandbox.allowHostNetwork`; off by default.
 */
export function sandboxAllowsHostNetwork(home: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env.LANES_SANDBOX_ALLOW_HOST_NETWORK;
  if (v !== undefined && v !== '') return v === '1' || v.toLowerCase() === 'true';
  return readConfigFile(join(home, 'config.json')).sandbox?.allowHostNetwork ?? false;
}

function parseRehome(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1_000) {
    throw new LanesError('validation', `LANES_REHOME_AFTER_MS must be an integer >= 1000 (ms), got "${value}"`, 'Unset it to use the default (300000, 5 minutes).');
  }
  return n;
}

/** `none`: read over gRPC even when an HTTP API is known. */
export const HTTP_ADDRESS_OFF = 'none';

/** An HTTP API address as host:port (`http://host:port[/]` accepted) or `none`; anything else is refused where it was set. */
export function parseHttpAddress(value: string | undefined, where: string): string | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (value.trim().toLowerCase() === HTTP_ADDRESS_OFF) return HTTP_ADDRESS_OFF;
  const m = /^(?:http:\/\/)?([^/\s]+:\d{1,5})\/?$/i.exec(value.trim());
  if (!m) {
    throw new LanesError('validation', `${where} must be the HTTP API's host:port (or http://host:port), got "${value}"`,
      'e.g. 127.0.0.1:7243 (the Temporal frontend\'s rpc.httpPort), or none to read over gRPC only.');
  }
  return m[1];
}

export function loadConfig(flags: Partial<Pick<LanesConfig, 'address' | 'namespace' | 'taskQueue' | 'httpAddress'>> & ConnectionFlags = {}, env: NodeJS.ProcessEnv = process.env): LanesConfig {
  const home = lanesHome(env);
  const configFile = join(home, 'config.json');
  const file = readConfigFile(configFile);
  const envRoots = env.LANES_TRUSTED_ROOTS ? env.LANES_TRUSTED_ROOTS.split(':').filter(Boolean) : [];
  // URLs hold ':' themselves: remote roots (repo.url prefixes) have their own variable.
  const envRemotes = env.LANES_TRUSTED_REMOTES ? env.LANES_TRUSTED_REMOTES.split(/[\s,]+/).filter(Boolean) : [];
  return {
    home,
    configFile,
    address: flags.address ?? env.TEMPORAL_ADDRESS ?? file.address ?? DEFAULT_ADDRESS,
    httpAddress:
      parseHttpAddress(flags.httpAddress, '--http-address') ?? parseHttpAddress(env.TEMPORAL_HTTP_ADDRESS, 'TEMPORAL_HTTP_ADDRESS') ?? parseHttpAddress(file.httpAddress, `${configFile}: httpAddress`),
    namespace: flags.namespace ?? env.TEMPORAL_NAMESPACE ?? file.namespace ?? DEFAULT_NAMESPACE,
    taskQueue: flags.taskQueue ?? env.LANES_TASK_QUEUE ?? file.taskQueue ?? DEFAULT_TASK_QUEUE,
    trustedRoots: [...[...envRoots, ...(file.trustedRoots ?? [])].map((r) => (isRemoteUrl(r) ? r : resolve(r))), ...envRemotes],
    contextWindows: { ...file.contextWindows, ...parseContextWindowsEnv(env.LANES_CONTEXT_WINDOWS) },
    connection: resolveConnectionSettings(flags, env, { tls: file.tls, apiKeyFile: file.apiKeyFile }, configFile),
    historyEventLimit: parseLimit(env.LANES_HISTORY_EVENT_LIMIT),
    rehomeAfterMs: parseRehome(env.LANES_REHOME_AFTER_MS),
  };
}
