// Lane reports to the packet's webhook (packet.report.webhook). Reporting is
// best effort: a receiver that is down or slow must never block or fail a lane,
// so delivery retries inside the activity and always returns a result.
import { redactDeep } from '../redact/secrets.js';
import { LANES_VERSION } from '../package-info.js';
import type { LaneSummary } from '../workflows/summary.js';
import { activityCancellationSignal } from './activity-context.js';

export const WEBHOOK_SCHEMA_ID = 'lanes.summary/v1';
export const DELIVERY_ID_HEADER = 'lanes-delivery-id';

export interface WebhookDeps {
  /** Defaults to the global fetch; tests may inject a failing one. */
  fetchImpl?: typeof fetch;
  /** Tries per delivery, including the first (default 3). */
  maxAttempts?: number;
  /** Wait before the second try, doubling after each (default 250 ms). */
  initialBackoffMs?: number;
  /** Per-request timeout (default 5000 ms). */
  timeoutMs?: number;
}

export interface PostLaneSummaryInput {
  url: string;
  laneId: string;
  /** Seq of the last event the summary covers; with laneId, the delivery's idempotency key. */
  seq: number;
  summary: LaneSummary;
}

/** The JSON body a receiver gets. */
export interface LaneSummaryWebhookBody {
  schema: typeof WEBHOOK_SCHEMA_ID;
  laneId: string;
  seq: number;
  summary: LaneSummary;
}

export interface WebhookDelivery {
  delivered: boolean;
  /** HTTP requests made (0 when the URL was unusable). */
  attempts: number;
  /** Status of the last response, when there was one. */
  status?: number;
  /** Why delivery failed: what, where, and what to check. */
  error?: string;
}

/** 5xx, 408 and 429 may pass; other 4xx mean the receiver refuses this request as sent. */
function isTransientStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

/** undici hides the useful part (ECONNREFUSED, ENOTFOUND) in `cause`; anything may be thrown. */
function networkReason(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = e.cause as { code?: unknown; message?: unknown } | undefined;
  if (cause && typeof cause.code === 'string') return cause.code;
  if (cause && typeof cause.message === 'string') return cause.message;
  return e.message;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createWebhookActivities(deps: WebhookDeps = {}) {
  const fetchImpl = deps.fetchImpl ?? fetch;
  const maxAttempts = Math.max(1, deps.maxAttempts ?? 3);
  const initialBackoffMs = deps.initialBackoffMs ?? 250;
  const timeoutMs = deps.timeoutMs ?? 5_000;

  return {
    /**
     * POSTs `{ schema: 'lanes.summary/v1', laneId, seq, summary }` to the lane's webhook,
     * retrying transient failures (network, timeout, 5xx/408/429) with doubling backoff.
     * Failure semantics: never throws — a failed delivery returns `delivered: false`, so
     * Temporal never retries it and the lane never blocks on a receiver. Idempotency key
     * (laneId, seq), sent as the `lanes-delivery-id` header on every try; a re-run (e.g.
     * after a worker crash) posts again with the same id, and receivers dedupe on it.
     */
    async postLaneSummary(input: PostLaneSummaryInput): Promise<WebhookDelivery> {
      let url: URL;
      try {
        url = new URL(input.url);
        if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`unsupported protocol ${url.protocol}`);
      } catch (e) {
        return { delivered: false, attempts: 0, error: `webhook URL ${JSON.stringify(input.url)} of lane ${input.laneId} is not usable (${(e as Error).message}); set report.webhook to an http(s) URL` };
      }
      const body: LaneSummaryWebhookBody = { schema: WEBHOOK_SCHEMA_ID, laneId: input.laneId, seq: input.seq, summary: input.summary };
      // Receivers are outside the trust boundary: secret values never leave in a body.
      const payload = JSON.stringify(redactDeep(body));
      const headers = {
        'content-type': 'application/json',
        'user-agent': `lanes/${LANES_VERSION}`,
        [DELIVERY_ID_HEADER]: `${input.laneId}:${input.seq}`,
      };
      // Errors name origin and path only: a query string may carry the receiver's token.
      const cancelled = activityCancellationSignal();
      let status: number | undefined;
      let error = '';
      let attempts = 0;
      for (let attempt = 1; attempt <= maxAttempts; attempt++) {
        if (cancelled?.aborted) break;
        attempts = attempt;
        const timeout = AbortSignal.timeout(timeoutMs);
        try {
          const res = await fetchImpl(url, {
            method: 'POST',
            headers,
            body: payload,
            signal: cancelled ? AbortSignal.any([timeout, cancelled]) : timeout,
          });
          status = res.status;
          // Drain the body so the connection is released; its content is not used.
          await res.arrayBuffer().catch(() => undefined);
          if (res.ok) return { delivered: true, attempts, status };
          error = `POST ${url.origin}${url.pathname} answered HTTP ${res.status}`;
          if (!isTransientStatus(res.status)) break;
        } catch (e) {
          status = undefined;
          error = `POST ${url.origin}${url.pathname} failed: ${timeout.aborted ? `no answer within ${timeoutMs} ms` : networkReason(e)}`;
        }
        if (attempt < maxAttempts) await sleep(initialBackoffMs * 2 ** (attempt - 1));
      }
      if (cancelled?.aborted) error = `${error ? `${error}; ` : ''}delivery cancelled with the activity`;
      return {
        delivered: false,
        attempts,
        ...(status !== undefined ? { status } : {}),
        error: `${error} after ${attempts} attempt(s); check that the receiver at report.webhook is up and answers 2xx`,
      };
    },
  };
}
