// Server-side TLS flags of `lanes server --persistence postgres`, checked before anything starts.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ServerTls } from '../../cluster/config.js';
import { LanesError } from '../../errors.js';

export function serverTlsOf(
  flags: { tlsServerCert?: string; tlsServerKey?: string; tlsServerCa?: string; tlsServerHost?: string },
  defaultName: string,
): ServerTls | undefined {
  const given = { '--tls-server-cert': flags.tlsServerCert, '--tls-server-key': flags.tlsServerKey, '--tls-server-ca': flags.tlsServerCa };
  const set = Object.entries(given).filter(([, v]) => v !== undefined);
  if (set.length === 0) {
    if (flags.tlsServerHost) throw new LanesError('usage', '--tls-server-host needs --tls-server-cert, --tls-server-key and --tls-server-ca', 'Add the certificate flags, or drop --tls-server-host.');
    return undefined;
  }
  const missing = Object.entries(given).filter(([, v]) => v === undefined).map(([k]) => k);
  if (missing.length) throw new LanesError('usage', `server TLS needs ${missing.join(' and ')} as well (${set.map(([k]) => k).join(', ')} given)`, 'Pass all three of --tls-server-cert, --tls-server-key and --tls-server-ca (docs/production.md, "TLS and API keys").');
  for (const [flag, v] of set) {
    if (!existsSync(resolve(v!))) throw new LanesError('validation', `${flag}: ${resolve(v!)} does not exist`, 'Point it at a PEM file that exists.');
  }
  return { certFile: resolve(flags.tlsServerCert!), keyFile: resolve(flags.tlsServerKey!), caFile: resolve(flags.tlsServerCa!), serverName: flags.tlsServerHost ?? defaultName };
}
