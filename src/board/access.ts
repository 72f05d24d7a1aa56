// Who may read the web board. Loopback binds are open to this machine's users only;
// any other bind needs LANES_BOARD_TOKEN, and then every request must carry it.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { LanesError } from '../errors.js';

export const DEFAULT_BOARD_HOST = '127.0.0.1';
/** A token shorter than this is refused: it could be guessed. */
export const MIN_TOKEN_LENGTH = 16;
/** The cookie a `?token=` visit sets, so htmx and SSE requests carry the token too. */
export const TOKEN_COOKIE = 'lanes_board_token';

export interface AccessPolicy {
  host: string;
  /** When set, every request must present it (header, cookie or ?token=). */
  token: string | null;
  /** Host header names accepted on a loopback bind (DNS-rebinding guard). */
  loopbackOnly: boolean;
}

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/**
 * The access policy for a bind, or a validation error naming what is missing: binding
 * beyond loopback without a token would publish every lane's objective, diff and logs.
 */
export function accessPolicyFor(host: string, token: string | undefined): AccessPolicy {
  const t = token?.trim() ? token.trim() : null;
  if (t !== null && t.length < MIN_TOKEN_LENGTH) {
    throw new LanesError('validation', `LANES_BOARD_TOKEN is ${t.length} characters; the board needs at least ${MIN_TOKEN_LENGTH}`, 'Use a long random value, e.g. `openssl rand -hex 24`.');
  }
  const loopback = isLoopbackHost(host);
  if (!loopback && t === null) {
    throw new LanesError('validation', `the board would bind ${host}, which is reachable from other machines, without a token (LANES_BOARD_TOKEN)`,
      'Set LANES_BOARD_TOKEN (at least 16 random characters) or bind 127.0.0.1 (the default) and reach it through an SSH tunnel.');
  }
  return { host, token: t, loopbackOnly: loopback };
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Constant-time comparison (over digests, so lengths do not leak either). */
export function tokenMatches(expected: string, given: string | undefined | null): boolean {
  if (!given) return false;
  return timingSafeEqual(digest(expected), digest(given));
}

export function cookieValue(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

export function bearerToken(req: IncomingMessage): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  return m?.[1];
}

export type AccessDecision = { allowed: true; setCookie?: string } | { allowed: false; status: number; reason: string };

/**
 * Decides one request. A loopback board also refuses foreign Host headers, so a web page
 * elsewhere cannot read it through DNS rebinding.
 */
export function decideAccess(policy: AccessPolicy, req: IncomingMessage, url: URL): AccessDecision {
  if (policy.loopbackOnly) {
    const hostHeader = (req.headers.host ?? '').replace(/:\d+$/, '');
    if (!isLoopbackHost(hostHeader)) return { allowed: false, status: 403, reason: 'this board answers only to localhost' };
  }
  if (policy.token === null) return { allowed: true };
  if (tokenMatches(policy.token, bearerToken(req)) || tokenMatches(policy.token, cookieValue(req, TOKEN_COOKIE))) return { allowed: true };
  const fromQuery = url.searchParams.get('token');
  if (tokenMatches(policy.token, fromQuery)) {
    return { allowed: true, setCookie: `${TOKEN_COOKIE}=${encodeURIComponent(policy.token)}; HttpOnly; SameSite=Strict; Path=/` };
  }
  return { allowed: false, status: 401, reason: 'a board token is required (Authorization: Bearer <token>, or open the board once with ?token=<token>)' };
}
