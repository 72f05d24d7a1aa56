// Redaction at the Temporal boundary. A payload codec on the worker (and the CLI client)
// rewrites every payload on its way to the server — activity inputs and results, heartbeat
// details, workflow commands, signals, queries, failure details — with secret values
// replaced; decode is the identity (nothing redacted can be restored, on purpose). Failure
// *messages* are not payloads, so the activity interceptor below redacts those.
//
// Chosen over redacting in each activity: one choke point covers payloads no activity
// author thought about. Redacted-on-encode is deterministic for replay because a workflow
// only ever receives payloads that went through the server, i.e. redacted ones.
import type { Payload, PayloadCodec } from '@temporalio/common';
import type { ActivityInboundCallsInterceptor, ActivityExecuteInput, Next } from '@temporalio/worker';
import { causeChain } from '../failures.js';
import { currentSecrets, redact, redactDeep, redactWith, type Secret } from './secrets.js';

const decoder = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

function encodingOf(p: Payload): string {
  const e = p.metadata?.encoding;
  return e ? Buffer.from(e).toString('utf8') : '';
}

/**
 * Whether `json` may hold a secret once decoded. Without `\u` or `\/` escapes, every decoded
 * string appears in the text with each character escaped on its own as JSON.stringify escapes
 * it, so a secret inside one appears as its own JSON escape (text that is not JSON is matched
 * literally). Other escapes, or a secret with surrogate halves, answer yes and the caller
 * parses. Most payloads hold no secret: this spares them a parse and a re-serialization.
 */
function mayHoldSecret(json: string, list: readonly Secret[]): boolean {
  if (json.includes('\\u') || json.includes('\\/')) return true;
  return list.some(({ value }) => /[\uD800-\uDFFF]/.test(value) || json.includes(value) || json.includes(JSON.stringify(value).slice(1, -1)));
}

/** `p` with every secret in `list` (default: the secrets now) replaced; `p` itself when none is in it. */
export function redactPayload(p: Payload, list: readonly Secret[] = currentSecrets()): Payload {
  if (!p.data || p.data.length === 0 || list.length === 0) return p;
  const encoding = encodingOf(p);
  if (!encoding.startsWith('json/')) return p;
  let text: string;
  try {
    text = decoder.decode(p.data);
  } catch {
    return p;
  }
  if (!mayHoldSecret(text, list)) return p;
  let out: string;
  try {
    // Parsed, so a secret that JSON escapes (quotes, newlines) is still found.
    out = JSON.stringify(redactDeep(JSON.parse(text) as unknown, list));
  } catch {
    out = redactWith(list, text);
  }
  return out === text ? p : { ...p, data: encoder.encode(out) };
}

export const redactingCodec: PayloadCodec = {
  async encode(payloads) {
    // One look at the environment per batch, not per payload.
    const list = currentSecrets();
    return payloads.map((p) => redactPayload(p, list));
  },
  async decode(payloads) {
    return payloads;
  },
};

/** Redacts the message (and the cause chain's messages) of every error an activity throws. */
export function redactingActivityInterceptor(): { inbound: ActivityInboundCallsInterceptor } {
  return {
    inbound: {
      async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>) {
        try {
          return await next(input);
        } catch (err) {
          for (const cur of causeChain(err)) {
            if (!(cur instanceof Error)) break;
            cur.message = redact(cur.message);
            if (cur.stack) cur.stack = redact(cur.stack);
          }
          throw err;
        }
      },
    },
  };
}
