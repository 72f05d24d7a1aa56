// Turns ConnectionSettings into Temporal SDK connection options (client and worker alike),
// and probes a TLS handshake on its own so doctor can tell "wrong certificate" from "down".
import { readFileSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';
import type { TLSConfig } from '@temporalio/client';
import { LanesError } from '../errors.js';
import type { ConnectionSettings } from './settings.js';

export interface SdkConnectionOptions {
  address: string;
  tls: TLSConfig | false;
  apiKey?: string;
}

function readPem(setting: { value: string; source: string }): Buffer {
  try {
    return readFileSync(setting.value);
  } catch (e) {
    throw new LanesError('validation', `${setting.source}: cannot read ${setting.value}: ${(e as Error).message}`, 'Point it at a readable PEM file.');
  }
}

/** Options for Connection.connect / NativeConnection.connect. */
export function sdkConnectionOptions(address: string, s: ConnectionSettings): SdkConnectionOptions {
  const tls: TLSConfig | false = s.tls
    ? {
        ...(s.tls.caFile ? { serverRootCACertificate: readPem(s.tls.caFile) } : {}),
        ...(s.tls.certFile && s.tls.keyFile ? { clientCertPair: { crt: readPem(s.tls.certFile), key: readPem(s.tls.keyFile) } } : {}),
        ...(s.tls.serverName ? { serverNameOverride: s.tls.serverName } : {}),
      }
    : false;
  return { address, tls, ...(s.apiKey ? { apiKey: s.apiKey.value } : {}) };
}

export interface HandshakeResult {
  ok: boolean;
  /** e.g. "certificate required", "unable to verify the first certificate". */
  error?: string;
  protocol?: string;
}

function splitAddress(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  return { host: address.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(address.slice(i + 1)) };
}

/**
 * A TLS handshake with the frontend, plus the first HTTP/2 exchange: under TLS 1.3 a server
 * that rejects the client certificate says so only after the handshake, on the first read.
 */
export async function probeTlsHandshake(address: string, s: ConnectionSettings, timeoutMs = 3_000): Promise<HandshakeResult> {
  const opts = sdkConnectionOptions(address, s);
  if (!opts.tls) return { ok: false, error: 'TLS is not configured' };
  const { host, port } = splitAddress(address);
  return new Promise<HandshakeResult>((resolve) => {
    let settled = false;
    const socket = tlsConnect({
      host,
      port,
      servername: opts.tls ? opts.tls.serverNameOverride ?? (/^[\d.]+$|:/.test(host) ? undefined : host) : undefined,
      ca: opts.tls && opts.tls.serverRootCACertificate ? Buffer.from(opts.tls.serverRootCACertificate) : undefined,
      cert: opts.tls && opts.tls.clientCertPair ? Buffer.from(opts.tls.clientCertPair.crt) : undefined,
      key: opts.tls && opts.tls.clientCertPair ? Buffer.from(opts.tls.clientCertPair.key) : undefined,
      ALPNProtocols: ['h2'],
    });
    const done = (r: HandshakeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => done({ ok: false, error: `no TLS answer within ${timeoutMs} ms` }), timeoutMs);
    socket.once('secureConnect', () => {
      // The HTTP/2 client preface and an empty SETTINGS frame; a server that accepted us answers with SETTINGS.
      socket.write(Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])]));
    });
    socket.once('data', () => done({ ok: true, protocol: socket.getProtocol() ?? undefined }));
    socket.once('error', (e: Error & { code?: string }) => done({ ok: false, error: e.message }));
    socket.once('close', () => done({ ok: false, error: 'the server closed the connection during the TLS exchange' }));
  });
}
