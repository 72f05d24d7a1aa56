import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createWebhookActivities, DELIVERY_ID_HEADER, WEBHOOK_SCHEMA_ID } from '../../../src/activities/report-webhook.js';
import { FailureClassSchema } from '../../../src/failures.js';
import { GreenLevelSchema, LaneStateSchema } from '../../../src/workflows/state.js';
import { summarize } from '../../../src/workflows/summary.js';
import { laneEvents } from '../../support/events.js';

const version = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** The wire contract receivers rely on (docs/policy.md "Webhook"), checked independently of the code. */
const BodySchema = z
  .object({
    schema: z.literal('lanes.summary/v1'),
    laneId: z.string().min(1),
    seq: z.number().int().min(1),
    summary: z
      .object({
        laneId: z.string(),
        phase: LaneStateSchema,
        greenLevel: GreenLevelSchema,
        lastSeq: z.number().int().min(0),
        lastEvent: z.string().nullable(),
        lastCheckpoint: z.object({ seq: z.number().int(), type: z.string(), detail: z.string(), commit: z.string().optional() }).strict().nullable(),
        blocker: z.object({ class: FailureClassSchema, detail: z.string(), since: z.string() }).strict().nullable(),
        recommendedAction: z.string().min(1),
      })
      .strict(),
  })
  .strict();

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** A real HTTP receiver on 127.0.0.1 answering with the scripted statuses (then the last one). */
async function receiver(statuses: number[] | 'hang'): Promise<{ url: string; requests: Received[]; server: Server }> {
  const requests: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, at: Date.now() });
      if (statuses === 'hang') return;
      const status = statuses[Math.min(requests.length - 1, statuses.length - 1)]!;
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'nope');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/lanes?token=s3cret`, requests, server };
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});

const summary = summarize(
  'lane-w',
  laneEvents('lane-w', [
    { type: 'lane.started', state: 'spawning' },
    { type: 'lane.commit.created', state: 'running', data: { sha: 'abc' } },
    { type: 'lane.blocked', state: 'blocked', failureClass: 'merge_conflict', detail: 'merging conflicts' },
  ]),
);
const input = (url: string) => ({ url, laneId: 'lane-w', seq: 3, summary });

describe('activities/report-webhook', () => {
  it('delivers one well-formed JSON POST with the lanes headers', async () => {
    const r = await receiver([200]);
    const out = await createWebhookActivities().postLaneSummary(input(r.url));
    expect(out).toEqual({ delivered: true, attempts: 1, status: 200 });
    expect(r.requests).toHaveLength(1);
    const req = r.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/hooks/lanes?token=s3cret');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['user-agent']).toBe(`lanes/${version}`);
    expect(req.headers[DELIVERY_ID_HEADER]).toBe('lane-w:3');
    const body = BodySchema.parse(JSON.parse(req.body));
    expect(body.schema).toBe(WEBHOOK_SCHEMA_ID);
    expect(body.summary).toEqual(summary);
    expect(body.summary.blocker?.class).toBe('merge_conflict');
  });

  it('retries 500 twice with doubling backoff and delivers on the third try, same delivery id each time', async () => {
    const r = await receiver([500, 500, 200]);
    const out = await createWebhookActivities({ initialBackoffMs: 100 }).postLaneSummary(input(r.url));
    expect(out).toEqual({ delivered: true, attempts: 3, status: 200 });
    expect(r.requests.map((q) => q.headers[DELIVERY_ID_HEADER])).toEqual(['lane-w:3', 'lane-w:3', 'lane-w:3']);
    expect(new Set(r.requests.map((q) => q.body)).size).toBe(1);
    const gaps = [r.requests[1]!.at - r.requests[0]!.at, r.requests[2]!.at - r.requests[1]!.at];
    expect(gaps[0]).toBeGreaterThanOrEqual(90);
    expect(gaps[1]).toBeGreaterThanOrEqual(190);
  });

  it('returns delivered:false without throwing when the receiver is down', async () => {
    const r = await receiver([200]);
    await new Promise<void>((resolve) => r.server.close(() => resolve()));
    const out = await createWebhookActivities({ initialBackoffMs: 10 }).postLaneSummary(input(r.url));
    expect(out.delivered).toBe(false);
    expect(out.attempts).toBe(3);
    expect(out.status).toBeUndefined();
    expect(out.error).toMatch(/ECONNREFUSED/);
    expect(out.error).toContain('after 3 attempt(s)');
    // The receiver's token in the query string is never echoed into errors (they reach events and logs).
    expect(out.error).not.toContain('s3cret');
  });

  it('gives up after three 5xx answers and reports the last status', async () => {
    const r = await receiver([503]);
    const out = await createWebhookActivities({ initialBackoffMs: 10 }).postLaneSummary(input(r.url));
    expect(out).toMatchObject({ delivered: false, attempts: 3, status: 503 });
    expect(out.error).toMatch(/HTTP 503/);
    expect(r.requests).toHaveLength(3);
  });

  it('does not retry a 4xx refusal, but does retry 429', async () => {
    const refused = await receiver([400, 200]);
    expect(await createWebhookActivities({ initialBackoffMs: 10 }).postLaneSummary(input(refused.url))).toMatchObject({ delivered: false, attempts: 1, status: 400 });
    expect(refused.requests).toHaveLength(1);
    const limited = await receiver([429, 200]);
    expect(await createWebhookActivities({ initialBackoffMs: 10 }).postLaneSummary(input(limited.url))).toEqual({ delivered: true, attempts: 2, status: 200 });
  });

  it('times out a receiver that never answers, per try', async () => {
    const r = await receiver('hang');
    const started = Date.now();
    const out = await createWebhookActivities({ timeoutMs: 200, initialBackoffMs: 10 }).postLaneSummary(input(r.url));
    expect(out).toMatchObject({ delivered: false, attempts: 3 });
    expect(out.error).toMatch(/no answer within 200 ms/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it.each([
    ['not a URL', 'not a url'],
    ['a non-http scheme', 'file:///etc/passwd'],
  ])('refuses %s without sending anything or throwing', async (_label, url) => {
    let calls = 0;
    const fetchImpl: typeof fetch = async () => {
      calls += 1;
      return new Response('');
    };
    const out = await createWebhookActivities({ fetchImpl }).postLaneSummary(input(url));
    expect(out).toMatchObject({ delivered: false, attempts: 0 });
    expect(out.error).toMatch(/report\.webhook/);
    expect(calls).toBe(0);
  });

  it.each([
    ['a string', 'kaboom', 'kaboom'],
    ['null', null, 'null'],
    ['an Error without a cause', new TypeError('fetch failed'), 'fetch failed'],
  ])('never throws even when fetch throws %s', async (_label, thrown, shown) => {
    const fetchImpl = (async () => {
      throw thrown;
    }) as unknown as typeof fetch;
    const out = await createWebhookActivities({ fetchImpl, initialBackoffMs: 1 }).postLaneSummary(input('http://127.0.0.1:9/x'));
    expect(out).toMatchObject({ delivered: false, attempts: 3 });
    expect(out.error).toContain(shown);
  });
});
