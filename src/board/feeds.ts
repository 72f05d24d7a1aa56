// Live board updates as server-sent events: one poll per distinct filter, however many
// browsers watch it; rows are sent only when they changed, the clock on every tick.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { esc } from './html.js';
import { type BoardFilters, FILTER_NAMES } from './lane-rows.js';

export interface FeedFragments {
  rows: string;
  /** The runs table's body. */
  runs: string;
  counts: string;
  updated: string;
}

/** Fresh fragments for a filter set (the board's lanes and runs, rendered). */
export type FeedRenderer = (filters: BoardFilters, now: number) => Promise<FeedFragments>;

interface Feed {
  filters: BoardFilters;
  clients: Set<ServerResponse>;
  timer: NodeJS.Timeout | null;
  last: FeedFragments | null;
  busy: boolean;
}

/** One SSE message; every line of data gets its own `data:` field. */
export function sseMessage(event: string, data: string): string {
  return `event: ${event}\n${data.split(/\r?\n/).map((l) => `data: ${l}`).join('\n')}\n\n`;
}

/** One feed per distinct filter set. */
export function feedKey(filters: BoardFilters): string {
  return FILTER_NAMES.map((k) => filters[k] ?? '').join('\u0000');
}

export class BoardFeeds {
  private readonly feeds = new Map<string, Feed>();

  constructor(
    private readonly intervalMs: number,
    private readonly render: FeedRenderer,
  ) {}

  subscribe(filters: BoardFilters, req: IncomingMessage, res: ServerResponse, headers: Record<string, string>, redact: (s: string) => string): void {
    const key = feedKey(filters);
    let feed = this.feeds.get(key);
    if (!feed) {
      feed = { filters, clients: new Set(), timer: null, last: null, busy: false };
      this.feeds.set(key, feed);
    }
    res.writeHead(200, { ...headers, 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive' });
    // Reconnect after 3 s if the stream drops (the browser does this by itself).
    res.write('retry: 3000\n\n');
    feed.clients.add(res);
    if (feed.last) res.write(this.messages(feed.last, null, redact));
    const f = feed;
    req.on('close', () => {
      f.clients.delete(res);
      if (f.clients.size === 0) {
        if (f.timer) clearInterval(f.timer);
        this.feeds.delete(key);
      }
    });
    if (!f.timer) {
      f.timer = setInterval(() => void this.tick(f, redact), this.intervalMs);
      void this.tick(f, redact);
    }
  }

  private messages(next: FeedFragments, prev: FeedFragments | null, redact: (s: string) => string): string {
    let out = '';
    if (!prev || prev.rows !== next.rows) out += sseMessage('rows', redact(next.rows));
    if (!prev || prev.runs !== next.runs) out += sseMessage('runs', redact(next.runs));
    if (!prev || prev.counts !== next.counts) out += sseMessage('counts', redact(next.counts));
    return out + sseMessage('updated', next.updated);
  }

  private async tick(feed: Feed, redact: (s: string) => string): Promise<void> {
    if (feed.busy) return;
    feed.busy = true;
    try {
      const now = Date.now();
      let text: string;
      try {
        const next = await this.render(feed.filters, now);
        text = this.messages(next, feed.last, redact);
        feed.last = next;
      } catch (e) {
        // Keep the rows the browser has; say why they are not fresh.
        text = sseMessage('updated', esc(`not updated: ${(e as Error).message.split('\n')[0]!.slice(0, 160)}`));
      }
      for (const c of feed.clients) c.write(text);
    } finally {
      feed.busy = false;
    }
  }

  close(): void {
    for (const f of this.feeds.values()) {
      if (f.timer) clearInterval(f.timer);
      for (const c of f.clients) c.end();
    }
    this.feeds.clear();
  }
}
