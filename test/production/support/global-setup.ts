// The production topology for the whole suite: PostgreSQL, the Temporal server on it (started
// by the real `lanes server --persistence postgres`, mTLS on), and a loopback control endpoint
// through which test files kill/restart the server and PostgreSQL mid-lane. Everything started
// here is stopped and every directory removed in teardown.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { provisionServerBinaries } from '../../../src/devserver/server-binaries.js';
import { freePort } from '../../../src/devserver/server.js';
import { spawnCli } from '../../support/cli.js';
import { createTestPki, type TestPki } from './certs.js';
import { startTestPostgres } from './postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    prodAddress: string;
    prodNamespace: string;
    prodPki: TestPki;
    prodControlUrl: string;
  }
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createNetServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A frontend port whose service ports (+0..+3, +10) are free, and free membership ports (<= 32767). */
async function portBlock(): Promise<{ port: number; membershipPort: number }> {
  const allFree = async (ports: number[]) => (await Promise.all(ports.map(isFree))).every(Boolean);
  for (let i = 0; i < 200; i++) {
    const port = 33_000 + Math.floor(Math.random() * 30_000);
    const membershipPort = 20_000 + Math.floor(Math.random() * 12_000);
    if ((await allFree([0, 1, 2, 3, 10].map((d) => port + d))) && (await allFree([0, 1, 2, 3].map((d) => membershipPort + d)))) return { port, membershipPort };
  }
  throw new Error('no free block of ports for the Temporal server');
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  // On a fresh machine this builds the binaries (minutes); afterwards the cache answers at once.
  await provisionServerBinaries({ onProgress: (l) => console.log(`[production] ${l}`) });
  const root = mkdtempSync(join(tmpdir(), 'lanes-prod-'));
  const pgRoot = mkdtempSync(join(tmpdir(), 'lanes-prod-pg-'));
  const pki = await createTestPki(root);
  const pg = await startTestPostgres(pgRoot, await freePort());
  const { port, membershipPort } = await portBlock();
  const home = join(root, 'server-home');
  const serverArgs = [
    'server', '--persistence', 'postgres', '--pg-url', pg.url, '--port', String(port), '--membership-port', String(membershipPort),
    '--tls-server-cert', pki.serverCert, '--tls-server-key', pki.serverKey, '--tls-server-ca', pki.caFile, '--tls-server-host', 'localhost',
  ];
  const env = { LANES_HOME: home };
  let server = await spawnCli(serverArgs, { env, readyTimeoutMs: 180_000 });
  const address = server.ready.address as string;

  const killServer = async () => {
    process.kill(server.ready.pid as number, 'SIGKILL');
    await server.proc;
  };
  const startServer = async () => {
    server = await spawnCli(serverArgs, { env, readyTimeoutMs: 180_000 });
  };
  const actions: Record<string, () => Promise<void>> = {
    'server/kill': killServer,
    'server/start': startServer,
    'postgres/restart': () => pg.restart(),
  };
  const control: Server = createServer((req, res) => {
    const act = actions[(req.url ?? '').replace(/^\//, '')];
    if (!act || req.method !== 'POST') {
      res.writeHead(404).end();
      return;
    }
    act().then(
      () => res.writeHead(200).end('ok'),
      (e: Error) => res.writeHead(500).end(e.message),
    );
  });
  await new Promise<void>((r) => control.listen(0, '127.0.0.1', r));
  const controlPort = (control.address() as { port: number }).port;
  console.log(`[production] PostgreSQL :${pg.port}, Temporal ${address} (mTLS) ready in ${Date.now() - started} ms`);

  project.provide('prodAddress', address);
  project.provide('prodNamespace', 'default');
  project.provide('prodPki', pki);
  project.provide('prodControlUrl', `http://127.0.0.1:${controlPort}`);
  return async () => {
    await new Promise((r) => control.close(r));
    server.proc.kill('SIGTERM');
    await server.proc;
    await pg.stop();
    rmSync(root, { recursive: true, force: true });
    rmSync(pgRoot, { recursive: true, force: true });
  };
}
