// How clients and workers reach a secured Temporal server: TLS (server CA, mTLS client
// certificate + key, server name override) and API-key auth. Names follow Temporal's own
// client environment configuration (TEMPORAL_TLS_*, TEMPORAL_API_KEY).
// Precedence per setting: flag > environment > $LANES_HOME/config.json.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { LanesError } from '../errors.js';

export const ConnectionFileSchema = z
  .object({
    /** false forces plaintext even with an API key; true turns TLS on with the system CAs. */
    enabled: z.boolean().optional(),
    caFile: z.string().min(1).optional(),
    certFile: z.string().min(1).optional(),
    keyFile: z.string().min(1).optional(),
    serverName: z.string().min(1).optional(),
  })
  .strict();

export interface ConnectionFlags {
  tls?: boolean;
  tlsCaPath?: string;
  tlsCertPath?: string;
  tlsKeyPath?: string;
  tlsServerName?: string;
  apiKey?: string;
}

export interface ConnectionFileInput {
  tls?: z.infer<typeof ConnectionFileSchema>;
  apiKeyFile?: string;
}

/** Where one setting came from, for clear errors and `lanes doctor`. */
type Source = 'flag' | 'env' | 'config';
interface Setting<T> {
  value: T;
  source: string;
}

export interface ConnectionSettings {
  /** undefined = plaintext. */
  tls?: { caFile?: Setting<string>; certFile?: Setting<string>; keyFile?: Setting<string>; serverName?: string };
  apiKey?: Setting<string>;
}

const NAMES = {
  tls: { flag: '--tls', env: 'TEMPORAL_TLS', config: 'tls.enabled' },
  caFile: { flag: '--tls-ca-path', env: 'TEMPORAL_TLS_SERVER_CA_CERT_PATH', config: 'tls.caFile' },
  certFile: { flag: '--tls-cert-path', env: 'TEMPORAL_TLS_CLIENT_CERT_PATH', config: 'tls.certFile' },
  keyFile: { flag: '--tls-key-path', env: 'TEMPORAL_TLS_CLIENT_KEY_PATH', config: 'tls.keyFile' },
  serverName: { flag: '--tls-server-name', env: 'TEMPORAL_TLS_SERVER_NAME', config: 'tls.serverName' },
  apiKey: { flag: '--api-key', env: 'TEMPORAL_API_KEY', config: 'apiKeyFile' },
} as const;

function describe(key: keyof typeof NAMES, source: Source, configFile: string): string {
  const n = NAMES[key];
  return source === 'flag' ? n.flag : source === 'env' ? n.env : `${n.config} in ${configFile}`;
}

function pick<T>(key: keyof typeof NAMES, configFile: string, flag: T | undefined, env: T | undefined, file: T | undefined): Setting<T> | undefined {
  if (flag !== undefined) return { value: flag, source: describe(key, 'flag', configFile) };
  if (env !== undefined) return { value: env, source: describe(key, 'env', configFile) };
  if (file !== undefined) return { value: file, source: describe(key, 'config', configFile) };
  return undefined;
}

function envText(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v === '' ? undefined : v;
}

function parseBool(raw: string | undefined, name: string): boolean | undefined {
  if (raw === undefined) return undefined;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new LanesError('validation', `${name} must be true or false, got "${raw}"`, `Set ${name}=true to use TLS, ${name}=false to force plaintext, or unset it.`);
}

/**
 * Resolves the connection settings and checks them: files exist, a certificate comes with
 * its key, and plaintext was not forced together with TLS files. Reading happens in options.ts.
 */
export function resolveConnectionSettings(flags: ConnectionFlags, env: NodeJS.ProcessEnv, file: ConnectionFileInput, configFile: string): ConnectionSettings {
  // Paths in config.json are relative to the file's own folder.
  const rel = (p?: string) => (p === undefined ? undefined : resolve(dirname(configFile), p));
  const ft = { ...file.tls, caFile: rel(file.tls?.caFile), certFile: rel(file.tls?.certFile), keyFile: rel(file.tls?.keyFile) };
  const enabled = pick('tls', configFile, flags.tls, parseBool(envText(env, NAMES.tls.env), NAMES.tls.env), ft.enabled);
  const caFile = pick('caFile', configFile, flags.tlsCaPath, envText(env, NAMES.caFile.env), ft.caFile);
  const certFile = pick('certFile', configFile, flags.tlsCertPath, envText(env, NAMES.certFile.env), ft.certFile);
  const keyFile = pick('keyFile', configFile, flags.tlsKeyPath, envText(env, NAMES.keyFile.env), ft.keyFile);
  const serverName = pick('serverName', configFile, flags.tlsServerName, envText(env, NAMES.serverName.env), ft.serverName);
  let apiKey = pick('apiKey', configFile, flags.apiKey, envText(env, NAMES.apiKey.env), undefined);
  if (!apiKey && file.apiKeyFile) {
    const path = rel(file.apiKeyFile)!;
    if (!existsSync(path)) throw new LanesError('validation', `apiKeyFile ${path} (in ${configFile}) does not exist`, 'Point apiKeyFile at a file holding the API key, or use TEMPORAL_API_KEY.');
    const key = readFileSync(path, 'utf8').trim();
    if (!key) throw new LanesError('validation', `apiKeyFile ${path} (in ${configFile}) is empty`, 'Put the API key in the file, or use TEMPORAL_API_KEY.');
    apiKey = { value: key, source: `apiKeyFile ${path}` };
  }

  for (const s of [caFile, certFile, keyFile]) {
    if (s && !existsSync(resolve(s.value))) {
      throw new LanesError('validation', `${s.source}: ${resolve(s.value)} does not exist`, 'Point it at a PEM file that exists (see docs/production.md, "TLS and API keys").');
    }
  }
  if (!!certFile !== !!keyFile) {
    const [has, lacks] = certFile ? [certFile.source, describe('keyFile', 'flag', configFile)] : [keyFile!.source, describe('certFile', 'flag', configFile)];
    throw new LanesError('usage', `mTLS needs both a client certificate and its key: ${has} is set but ${lacks} (or its env/config equivalent) is not`, `Set both ${NAMES.certFile.env} and ${NAMES.keyFile.env} (or --tls-cert-path and --tls-key-path).`);
  }
  const tlsFiles = [caFile, certFile, keyFile, serverName].filter((s) => s !== undefined);
  if (enabled?.value === false && tlsFiles.length) {
    throw new LanesError('usage', `TLS is turned off by ${enabled.source}, yet ${tlsFiles.map((s) => s.source).join(', ')} is set`, 'Remove the TLS settings, or do not turn TLS off.');
  }
  // TLS is on when asked for, when any TLS file is given, or (as in Temporal Cloud) with an API key.
  const useTls = enabled?.value ?? (tlsFiles.length > 0 || apiKey !== undefined);
  const abs = (s?: Setting<string>) => (s ? { value: resolve(s.value), source: s.source } : undefined);
  return {
    ...(useTls ? { tls: { caFile: abs(caFile), certFile: abs(certFile), keyFile: abs(keyFile), serverName: serverName?.value } } : {}),
    ...(apiKey ? { apiKey } : {}),
  };
}

/** A one-line description of the settings (never the key): for ready lines and doctor. */
export function describeConnection(s: ConnectionSettings): { mode: 'plaintext' | 'tls' | 'mtls'; apiKey: boolean; caFile?: string; certFile?: string; serverName?: string } {
  const mode = !s.tls ? 'plaintext' : s.tls.certFile ? 'mtls' : 'tls';
  return {
    mode,
    apiKey: s.apiKey !== undefined,
    ...(s.tls?.caFile ? { caFile: s.tls.caFile.value } : {}),
    ...(s.tls?.certFile ? { certFile: s.tls.certFile.value } : {}),
    ...(s.tls?.serverName ? { serverName: s.tls.serverName } : {}),
  };
}

/** Flags that hand the same settings to a child `lanes` process (the API key travels in its env, never argv). */
export function connectionArgs(s: ConnectionSettings): string[] {
  if (!s.tls) return s.apiKey ? ['--no-tls'] : [];
  return [
    '--tls',
    ...(s.tls.caFile ? ['--tls-ca-path', s.tls.caFile.value] : []),
    ...(s.tls.certFile ? ['--tls-cert-path', s.tls.certFile.value, '--tls-key-path', s.tls.keyFile!.value] : []),
    ...(s.tls.serverName ? ['--tls-server-name', s.tls.serverName] : []),
  ];
}
