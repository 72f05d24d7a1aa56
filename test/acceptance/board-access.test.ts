// Who may read the web board, over real HTTP against a real board server and Temporal:
// loopback by default, a token for anything else, read-only always.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { accessPolicyFor } from '../../src/board/access.js';
import { type BoardServer, startBoardServer } from '../../src/board/server.js';
import { runCli } from '../support/cli.js';

const TOKEN = 'board-token-0123456789abcdef';
let connection: Connection;
let client: Client;
const servers: BoardServer[] = [];

beforeAll(async () => {
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection, namespace: inject('temporalNamespace') });
});
afterAll(async () => {
  for (const s of servers) await s.close();
  await connection?.close();
});

async function board(opts: { host?: string; token?: string } = {}): Promise<BoardServer> {
  const s = await startBoardServer({ client, namespace: 'default', home: '/nonexistent-lanes-home', port: 0, webUiUrl: null, ...opts });
  servers.push(s);
  return s;
}

describe('web board access', () => {
  it('binds 127.0.0.1 by default and serves the board there without a token', async () => {
    const s = await board();
    expect(s.host).toBe('127.0.0.1');
    expect(s.tokenRequired).toBe(false);
    const res = await fetch(`${s.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await res.text();
    expect(html).toContain('<table class="lanes">');
    // Must not: any asset from another origin.
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it('refuses to bind beyond loopback without LANES_BOARD_TOKEN, and refuses short tokens', () => {
    expect(() => accessPolicyFor('0.0.0.0', undefined)).toThrow(/LANES_BOARD_TOKEN/);
    expect(() => accessPolicyFor('0.0.0.0', '   ')).toThrow(/without a token/);
    expect(() => accessPolicyFor('127.0.0.1', 'short')).toThrow(/at least 16/);
    expect(accessPolicyFor('::1', undefined).loopbackOnly).toBe(true);
  });

  it('with a token, every request without it is refused (pages, JSON, events, assets)', async () => {
    const s = await board({ host: '0.0.0.0', token: TOKEN });
    const url = s.url.replace('0.0.0.0', '127.0.0.1');
    for (const path of ['/', '/api/lanes', '/events', '/lanes/x', '/assets/htmx.min.js', '/nope']) {
      const res = await fetch(`${url}${path}`);
      expect(res.status, path).toBe(401);
      const body = await res.text();
      // Must not: any board content before the token.
      expect(body).not.toContain('<table');
      expect(body).not.toContain('htmx');
    }
    expect((await fetch(`${url}/`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
    const ok = await fetch(`${url}/api/lanes`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(Array.isArray(await ok.json())).toBe(true);
    // ?token= once sets an HttpOnly cookie that later requests (htmx, SSE) carry.
    const first = await fetch(`${url}/?token=${TOKEN}`);
    expect(first.status).toBe(200);
    const cookie = first.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/);
    expect((await fetch(`${url}/api/lanes`, { headers: { cookie: cookie.split(';')[0]! } })).status).toBe(200);
  });

  it('is read-only: anything but GET and HEAD is refused', async () => {
    const s = await board();
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const res = await fetch(`${s.url}/lanes/x`, { method });
      expect(res.status, method).toBe(405);
      expect(res.headers.get('allow')).toBe('GET, HEAD');
    }
  });

  it('a loopback board refuses a foreign Host header (DNS rebinding)', async () => {
    const s = await board();
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${s.url}/api/lanes`, { headers: { host: 'attacker.example:80' } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
  });

  it('filters that could escape the visibility query are refused with a clear message', async () => {
    const s = await board();
    const res = await fetch(`${s.url}/api/lanes?state=${encodeURIComponent("blocked' OR 1=1 --")}`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/filter state=/);
  });

  it('`lanes board --web --host 0.0.0.0` without a token exits 2 with a hint and serves nothing', async () => {
    const r = await runCli(['board', '--web', '--host', '0.0.0.0', '--port', '0', '--json'], { env: { TEMPORAL_ADDRESS: inject('temporalAddress'), LANES_BOARD_TOKEN: '', LANES_HOME: mkdtempSync(join(tmpdir(), 'lanes-board-')) }, timeoutMs: 30_000 });
    expect(r.exitCode).toBe(2);
    expect(r.json().error.message).toMatch(/without a token/);
    expect(r.json().error.hint).toMatch(/LANES_BOARD_TOKEN/);
    // Must not: a board.ready line.
    expect(r.stdout).not.toContain('board.ready');
  });
});
