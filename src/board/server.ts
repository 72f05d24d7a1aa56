// The web board's HTTP server (Node's http module: a handful of read-only routes need
// no framework). Every request passes the access policy first; pages are complete HTML,
// /events streams fresh rows of lanes and runs (server-sent events) that htmx swaps in.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import { LanesError } from '../errors.js';
import { accessPolicyFor, type AccessPolicy, decideAccess, DEFAULT_BOARD_HOST } from './access.js';
import { boardAssets } from './assets.js';
import { type BoardContext, renderBoard, renderCounts, renderRows } from './board-page.js';
import { BoardFeeds } from './feeds.js';
import { esc, page } from './html.js';
import { type BoardFilters, FILTER_NAMES, LaneRowSource, visibilityQuery } from './lane-rows.js';
import { renderLanePage, renderNotFound } from './lane-page.js';
import { laneView } from './lane-view.js';
import { RunRowSource } from './run-rows.js';
import { renderRunNotFound, renderRunPage, renderRunRows } from './run-section.js';

export interface BoardServerOptions {
  client: Client;
  namespace: string;
  /** $LANES_HOME: failing logs are read only from its lanes/ folder. */
  home: string;
  /** Bind address (default 127.0.0.1); anything but loopback needs `token`. */
  host?: string;
  /** 0 picks a free port. */
  port: number;
  /** LANES_BOARD_TOKEN; when set every request must carry it. */
  token?: string;
  /** The Temporal Web UI base URL, for links (null when none runs). */
  webUiUrl: string | null;
  /** How often live viewers get fresh rows, ms (default 2000). */
  refreshMs?: number;
  /** Applied to everything the board sends (secret values out). */
  redact?: (text: string) => string;
}

export interface BoardServer {
  url: string;
  host: string;
  port: number;
  tokenRequired: boolean;
  close(): Promise<void>;
}

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
};

function filtersOf(url: URL): BoardFilters {
  const f: BoardFilters = {};
  for (const k of FILTER_NAMES) {
    const v = url.searchParams.get(k)?.trim();
    if (v) f[k] = v;
  }
  return f;
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, ...extra });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

export async function startBoardServer(opts: BoardServerOptions): Promise<BoardServer> {
  const host = opts.host ?? DEFAULT_BOARD_HOST;
  const policy: AccessPolicy = accessPolicyFor(host, opts.token);
  const redact = opts.redact ?? ((s: string) => s);
  const ctx: BoardContext = { webUiUrl: opts.webUiUrl, namespace: opts.namespace };
  const rows = new LaneRowSource(opts.client);
  const runs = new RunRowSource(opts.client);
  const listing = (filters: BoardFilters, now = Date.now()) => Promise.all([rows.rows(filters, now), runs.rows(filters, now)]);
  const feeds = new BoardFeeds(opts.refreshMs ?? 2_000, async (filters, now) => {
    const [lanes, runList] = await listing(filters, now);
    return {
      rows: redact(renderRows(lanes, ctx, now)),
      runs: redact(renderRunRows(runList, lanes, now)),
      counts: redact(renderCounts(lanes)),
      updated: `updated ${new Date(now).toISOString().slice(11, 19)} UTC`,
    };
  });
  const html = (res: ServerResponse, status: number, body: string, extra: Record<string, string> = {}) => send(res, status, 'text/html; charset=utf-8', redact(body), extra);
  const json = (res: ServerResponse, status: number, value: unknown) => send(res, status, 'application/json; charset=utf-8', redact(JSON.stringify(value, null, 2)));

  async function route(req: IncomingMessage, res: ServerResponse, url: URL, cookie: Record<string, string>): Promise<void> {
    const path = url.pathname;
    const asset = boardAssets().get(path);
    if (asset) return send(res, 200, asset.type, asset.body, { 'cache-control': 'max-age=3600' });
    if (path === '/' || path === '/api/lanes' || path === '/api/runs') {
      const filters = filtersOf(url);
      try {
        visibilityQuery(filters);
      } catch (e) {
        if (e instanceof LanesError) return path === '/' ? html(res, 400, renderBoard([], [], filters, ctx, e.message), cookie) : json(res, 400, { error: { code: e.code, message: e.message, hint: e.hint ?? null } });
        throw e;
      }
      if (path === '/api/runs') return json(res, 200, await runs.rows(filters));
      const [list, runList] = path === '/' ? await listing(filters) : [await rows.rows(filters), []];
      return path === '/' ? html(res, 200, renderBoard(list, runList, filters, ctx), cookie) : json(res, 200, list);
    }
    const run = /^\/(api\/)?runs\/([^/]+)$/.exec(path);
    if (run) {
      const runId = decodeURIComponent(run[2]!).replace(/^run-/, '');
      const row = await runs.row(runId);
      const lanes = row ? await rows.rows({ run: row.runId }) : [];
      if (run[1]) return row ? json(res, 200, { run: row, lanes }) : json(res, 404, { error: { code: 'not_found', message: `no run ${runId}` } });
      return row ? html(res, 200, renderRunPage(row, lanes, renderRows(lanes, ctx), ctx), cookie) : html(res, 404, renderRunNotFound(runId), cookie);
    }
    if (path === '/events') return feeds.subscribe(filtersOf(url), req, res, SECURITY_HEADERS, redact);
    const lane = /^\/(api\/)?lanes\/([^/]+)$/.exec(path);
    if (lane) {
      const laneId = decodeURIComponent(lane[2]!);
      const view = await laneView({ client: opts.client, rows, home: opts.home, redact }, `lane-${laneId.replace(/^lane-/, '')}`);
      if (lane[1]) return view ? json(res, 200, view) : json(res, 404, { error: { code: 'not_found', message: `no lane ${laneId}` } });
      return view ? html(res, 200, renderLanePage(view, ctx), cookie) : html(res, 404, renderNotFound(laneId), cookie);
    }
    return html(res, 404, page({ title: 'Not found · Lanes', body: `<p>Nothing at ${esc(path)}. <a href="/">Back to the board</a>.</p>` }));
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://board.invalid');
    const access = decideAccess(policy, req, url);
    if (!access.allowed) return send(res, access.status, 'text/plain; charset=utf-8', `${access.reason}\n`, access.status === 401 ? { 'www-authenticate': 'Bearer realm="lanes-board"' } : {});
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain; charset=utf-8', 'the board is read-only: GET and HEAD only\n', { allow: 'GET, HEAD' });
    const cookie: Record<string, string> = access.setCookie ? { 'set-cookie': access.setCookie } : {};
    route(req, res, url, cookie).catch((e: unknown) => {
      if (res.headersSent) return res.destroy();
      const message = e instanceof LanesError ? e.message : `the board could not read the lanes: ${(e as Error).message.split('\n')[0]}`;
      html(res, 503, page({ title: 'Lanes board: unavailable', body: `<header><h1><a href="/">Lanes</a></h1></header><p class="error" role="alert">${esc(message)}</p><p>Is Temporal up (<code>lanes up</code>)?</p>` }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'EADDRINUSE' ? new LanesError('unavailable', `the board cannot listen on ${host}:${opts.port}: the port is in use`, 'Pick another with --board-port (or --port for `lanes board --web`), or 0 for any free port.') : e),
    );
    server.listen(opts.port, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    host,
    port,
    tokenRequired: policy.token !== null,
    async close() {
      feeds.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
