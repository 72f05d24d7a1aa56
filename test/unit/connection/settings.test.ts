// Connection settings: precedence (flag > env > config.json), validation, and the SDK options they become.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { sdkConnectionOptions } from '../../../src/connection/options.js';
import { connectionArgs, describeConnection } from '../../../src/connection/settings.js';
import { LanesError } from '../../../src/errors.js';

const dirs: string[] = [];
function home(config?: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'lanes-conn-'));
  dirs.push(dir);
  for (const f of ['ca.pem', 'client.pem', 'client.key', 'other-ca.pem']) writeFileSync(join(dir, f), `-----BEGIN ${f}-----\n`);
  if (config !== undefined) writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const err = (fn: () => unknown): LanesError => {
  try {
    fn();
  } catch (e) {
    return e as LanesError;
  }
  throw new Error('expected an error');
};

describe('connection settings', () => {
  it('is plaintext with nothing set, and TLS by default once an API key is set (as Temporal Cloud expects)', () => {
    const h = home();
    expect(loadConfig({}, { LANES_HOME: h }).connection).toEqual({});
    const cloud = loadConfig({}, { LANES_HOME: h, TEMPORAL_API_KEY: 'k-123' }).connection;
    expect(describeConnection(cloud)).toEqual({ mode: 'tls', apiKey: true });
    expect(sdkConnectionOptions('ns.tmprl.cloud:7233', cloud)).toEqual({ address: 'ns.tmprl.cloud:7233', tls: {}, apiKey: 'k-123' });
    // Must not: the key itself show up in anything printed.
    expect(JSON.stringify(describeConnection(cloud))).not.toContain('k-123');
    expect(connectionArgs(cloud)).not.toContain('k-123');
    // TEMPORAL_TLS=false keeps an API key over plaintext (a local proxy, a test server).
    expect(sdkConnectionOptions('x:1', loadConfig({}, { LANES_HOME: h, TEMPORAL_API_KEY: 'k', TEMPORAL_TLS: 'false' }).connection).tls).toBe(false);
  });

  it('takes flags over env over config.json, and resolves config paths against the config folder', () => {
    const h = home({ tls: { caFile: 'ca.pem', certFile: 'client.pem', keyFile: 'client.key', serverName: 'from-config' } });
    const fromFile = loadConfig({}, { LANES_HOME: h }).connection;
    expect(describeConnection(fromFile)).toEqual({ mode: 'mtls', apiKey: false, caFile: join(h, 'ca.pem'), certFile: join(h, 'client.pem'), serverName: 'from-config' });
    const fromEnv = loadConfig({}, { LANES_HOME: h, TEMPORAL_TLS_SERVER_NAME: 'from-env', TEMPORAL_TLS_SERVER_CA_CERT_PATH: join(h, 'other-ca.pem') }).connection;
    expect(fromEnv.tls).toMatchObject({ serverName: 'from-env', caFile: { value: join(h, 'other-ca.pem'), source: 'TEMPORAL_TLS_SERVER_CA_CERT_PATH' } });
    const fromFlag = loadConfig({ tlsServerName: 'from-flag' }, { LANES_HOME: h, TEMPORAL_TLS_SERVER_NAME: 'from-env' }).connection;
    expect(fromFlag.tls?.serverName).toBe('from-flag');
    const opts = sdkConnectionOptions('127.0.0.1:7233', fromFile);
    expect(opts.tls).toMatchObject({ serverNameOverride: 'from-config', clientCertPair: { crt: Buffer.from('-----BEGIN client.pem-----\n') } });
    expect(connectionArgs(fromFile)).toEqual(['--tls', '--tls-ca-path', join(h, 'ca.pem'), '--tls-cert-path', join(h, 'client.pem'), '--tls-key-path', join(h, 'client.key'), '--tls-server-name', 'from-config']);
  });

  it('reads the API key from apiKeyFile, with TEMPORAL_API_KEY taking precedence', () => {
    const h = home({ apiKeyFile: 'key.txt' });
    writeFileSync(join(h, 'key.txt'), 'file-key\n');
    expect(loadConfig({}, { LANES_HOME: h }).connection.apiKey).toEqual({ value: 'file-key', source: `apiKeyFile ${join(h, 'key.txt')}` });
    expect(loadConfig({}, { LANES_HOME: h, TEMPORAL_API_KEY: 'env-key' }).connection.apiKey?.value).toBe('env-key');
  });

  it.each<[string, Record<string, string>, unknown, RegExp, string]>([
    ['a certificate without its key', { TEMPORAL_TLS_CLIENT_CERT_PATH: 'client.pem' }, undefined, /mTLS needs both a client certificate and its key: TEMPORAL_TLS_CLIENT_CERT_PATH is set/, 'usage'],
    ['a key without its certificate', {}, { tls: { keyFile: 'client.key' } }, /tls\.keyFile in .* is set but --tls-cert-path/, 'usage'],
    ['a CA file that does not exist', { TEMPORAL_TLS_SERVER_CA_CERT_PATH: '/nonexistent/ca.pem' }, undefined, /TEMPORAL_TLS_SERVER_CA_CERT_PATH: \/nonexistent\/ca.pem does not exist/, 'validation'],
    ['TLS forced off with TLS files', { TEMPORAL_TLS: 'false', TEMPORAL_TLS_SERVER_NAME: 'x' }, undefined, /TLS is turned off by TEMPORAL_TLS, yet TEMPORAL_TLS_SERVER_NAME is set/, 'usage'],
    ['TEMPORAL_TLS that is not a boolean', { TEMPORAL_TLS: 'maybe' }, undefined, /TEMPORAL_TLS must be true or false, got "maybe"/, 'validation'],
    ['an unknown key under tls in config.json', {}, { tls: { ca: 'ca.pem' } }, /config file .*: tls: Unrecognized key/, 'validation'],
    ['an empty apiKeyFile', {}, { apiKeyFile: 'empty.txt' }, /apiKeyFile .*empty.txt .* is empty/, 'validation'],
  ])('refuses %s with a specific error', (_label, env, config, message, code) => {
    const h = home(config);
    writeFileSync(join(h, 'empty.txt'), '');
    const resolved = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v.includes('/') || !v.includes('.') ? v : join(h, v)]));
    const e = err(() => loadConfig({}, { LANES_HOME: h, ...resolved }));
    expect(e).toBeInstanceOf(LanesError);
    expect(e.message).toMatch(message);
    expect(e.code).toBe(code);
    expect(e.exitCode).toBe(2);
  });
});
