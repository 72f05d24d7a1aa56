// Provider errors -> Lanes failure classes. Every provider adapter funnels what
// its SDK throws through classifyProviderError, so retry policy and operators see
// one taxonomy (and a request id to quote) instead of vendor-specific errors.
import {
  APIConnectionError as AnthropicConnectionError,
  APIConnectionTimeoutError as AnthropicTimeoutError,
  APIUserAbortError as AnthropicAbortError,
} from '@anthropic-ai/sdk';
import { ApplicationFailure } from '@temporalio/common';
import {
  APIConnectionError as OpenAIConnectionError,
  APIConnectionTimeoutError as OpenAITimeoutError,
  APIUserAbortError as OpenAIAbortError,
} from 'openai';
import { type FailureClass, type LaneFailureDetails, laneFailure } from '../failures.js';
import type { ProviderName } from './types.js';

/** Longest provider-supplied text we echo into a failure message. */
const MAX_PROVIDER_TEXT = 160;

/** Phrases providers use when the prompt does not fit the model's context window. */
const CONTEXT_WINDOW_PATTERN =
  /prompt is too long|context[_ ]length[_ ]exceeded|maximum context length|context window|too many (input )?tokens|input is too long|exceeds? the (model'?s? )?context/i;

export const CONTEXT_WINDOW_HINT =
  'Compact the conversation (summarize earlier turns, drop old tool output) or raise the model/context size, then retry the turn.';

interface HttpErrorLike {
  status?: unknown;
  headers?: unknown;
  error?: unknown;
  requestID?: unknown;
  code?: unknown;
  message?: unknown;
}

function header(headers: unknown, name: string): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  const get = (headers as { get?: unknown }).get;
  if (typeof get === 'function') {
    const v = (get as (n: string) => string | null).call(headers, name);
    return v ?? undefined;
  }
  const v = (headers as Record<string, unknown>)[name];
  return typeof v === 'string' ? v : undefined;
}

/** The provider's request id: SDK `requestID`, else the `request-id` / `x-request-id` header. */
export function providerRequestId(err: unknown): string | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const e = err as HttpErrorLike;
  if (typeof e.requestID === 'string' && e.requestID) return e.requestID;
  return header(e.headers, 'request-id') ?? header(e.headers, 'x-request-id');
}

/**
 * Seconds to wait, from `retry-after-ms`, or `retry-after` as seconds or an HTTP date.
 * Undefined when absent or unparseable.
 */
export function parseRetryAfterSeconds(headers: unknown, nowMs: number = Date.now()): number | undefined {
  const ms = header(headers, 'retry-after-ms');
  if (ms !== undefined && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.ceil(Number(ms) / 1000);
  const raw = header(headers, 'retry-after')?.trim();
  if (!raw) return undefined;
  if (/^\d+(\.\d+)?$/.test(raw)) return Math.ceil(Number(raw));
  const at = Date.parse(raw);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - nowMs) / 1000));
}

/** One short line of provider text: whitespace collapsed, truncated. Never the raw body. */
export function shortLine(text: string, max: number = MAX_PROVIDER_TEXT): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** The provider's own error message (Anthropic `{error:{message}}`, OpenAI `{message}`), shortened. */
function providerText(e: HttpErrorLike, status: number | undefined): string {
  const body = e.error as { message?: unknown; error?: { message?: unknown } } | undefined;
  const nested = body && typeof body === 'object' ? (body.error?.message ?? body.message) : undefined;
  if (typeof nested === 'string' && nested) return shortLine(nested);
  // A JSON body without a message: say nothing rather than stringify the body.
  if (body !== undefined && body !== null) return '';
  // No JSON body: the SDK message is "<status> <text>"; keep only a short line of it.
  const msg = typeof e.message === 'string' ? e.message : '';
  const stripped = status !== undefined ? msg.replace(new RegExp(`^${status}\\s*`), '') : msg;
  return shortLine(stripped);
}

function errorType(e: HttpErrorLike): string | undefined {
  const body = e.error as { type?: unknown; code?: unknown; error?: { type?: unknown } } | undefined;
  if (!body || typeof body !== 'object') return undefined;
  const t = body.error?.type ?? body.code ?? body.type;
  return typeof t === 'string' ? t : undefined;
}

function compact(details: LaneFailureDetails): LaneFailureDetails {
  return Object.fromEntries(Object.entries(details).filter(([, v]) => v !== undefined)) as LaneFailureDetails;
}

function isAbort(err: unknown): boolean {
  if (err instanceof AnthropicAbortError || err instanceof OpenAIAbortError) return true;
  return err instanceof Error && err.name === 'AbortError';
}

function isTimeout(err: unknown): boolean {
  return err instanceof AnthropicTimeoutError || err instanceof OpenAITimeoutError;
}

function isConnection(err: unknown): boolean {
  return err instanceof AnthropicConnectionError || err instanceof OpenAIConnectionError;
}

function classForStatus(status: number, text: string, type: string | undefined): FailureClass {
  if (status === 401 || status === 403) return 'provider_auth';
  if (status === 429) return 'provider_rate_limit';
  if (status >= 500) return 'provider_internal';
  if ((status === 400 || status === 413) && (CONTEXT_WINDOW_PATTERN.test(text) || CONTEXT_WINDOW_PATTERN.test(type ?? ''))) {
    return 'context_window';
  }
  return 'prompt_delivery';
}

const ENV_KEY: Record<ProviderName, string> = {
  anthropic: 'ANTHROPIC_API_KEY',
  openai: 'OPENAI_API_KEY',
  scripted: '(none)',
};

function hintFor(cls: FailureClass, provider: ProviderName, retryAfterSeconds: number | undefined): string {
  switch (cls) {
    case 'provider_auth':
      return `Check ${ENV_KEY[provider]} in the worker's environment (and the account's access to this model), then restart the worker.`;
    case 'provider_rate_limit':
      return retryAfterSeconds !== undefined
        ? `Rate limited: retry after ${retryAfterSeconds}s; lower concurrency if this repeats.`
        : 'Rate limited: retry with backoff; lower concurrency if this repeats.';
    case 'provider_internal':
      return 'Transient provider or network failure: the turn is retried with backoff; check the provider status page if it persists.';
    case 'context_window':
      return CONTEXT_WINDOW_HINT;
    case 'cancelled':
      return 'The turn was cancelled by the lane (cancel or shutdown); nothing was billed after cancellation.';
    default:
      return 'The provider refused the request: check the model name, tool schemas and request size.';
  }
}

/**
 * Classify anything a provider SDK throws into a typed lane failure.
 * 401/403 provider_auth; 429 provider_rate_limit (+retryAfterSeconds); 5xx,
 * connection errors and timeouts provider_internal; 400/413 about prompt size
 * context_window; other 4xx prompt_delivery; aborts cancelled. The message holds
 * at most one short line of provider text; details keep the request id.
 */
export function classifyProviderError(err: unknown, provider: ProviderName): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  const e = (err && typeof err === 'object' ? err : {}) as HttpErrorLike;
  const requestId = providerRequestId(err);
  const rid = requestId ? `, request ${requestId}` : '';

  if (isAbort(err)) {
    return laneFailure('cancelled', `${provider} request cancelled before the model replied${rid}`, compact({ provider, requestId, hint: hintFor('cancelled', provider, undefined) }));
  }
  if (isTimeout(err)) {
    return laneFailure('provider_internal', `${provider} request timed out waiting for the model${rid}`, compact({ provider, requestId, timeout: true, hint: hintFor('provider_internal', provider, undefined) }));
  }
  if (isConnection(err)) {
    const cause = (err as { cause?: unknown }).cause;
    const why = cause instanceof Error ? `: ${shortLine(cause.message, 100)}` : '';
    return laneFailure('provider_internal', `could not reach ${provider}${why}${rid}`, compact({ provider, requestId, connection: true, hint: hintFor('provider_internal', provider, undefined) }));
  }

  const status = typeof e.status === 'number' ? e.status : undefined;
  if (status === undefined) {
    const name = err instanceof Error ? err.name : typeof err;
    const text = err instanceof Error ? shortLine(err.message) : shortLine(String(err));
    return laneFailure('provider_internal', `${provider} client failed (${name}): ${text}`, compact({ provider, requestId, hint: hintFor('provider_internal', provider, undefined) }));
  }

  const text = providerText(e, status);
  const type = errorType(e);
  const cls = classForStatus(status, text, type);
  const retryAfterSeconds = cls === 'provider_rate_limit' ? parseRetryAfterSeconds(e.headers) : undefined;
  const hint = hintFor(cls, provider, retryAfterSeconds);
  const message = `${provider} returned HTTP ${status} (${cls}${rid})${text ? `: ${text}` : ''}`;
  return laneFailure(cls, message, compact({ provider, status, requestId, retryAfterSeconds, errorType: type, hint }));
}
