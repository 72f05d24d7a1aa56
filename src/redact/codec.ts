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
import { longestSecret, redact, redactDeep } from './secrets.js';

const decoder = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

function encodingOf(p: Payload): string {
  const e = p.metadata?.encoding;
  return e ? Buffer.from(e).toString('utf8') : '';
}

export function redactPayload(p: Payload): Payload {
  if (!p.data || p.data.length === 0 || longestSecret() === 0) return p;
  const encoding = encodingOf(p);
  if (!encoding.startsWith('json/')) return p;
  let text: string;
  try {
    text = decoder.decode(p.data);
  } catch {
    return p;
  }
  let out: string;
  try {
    // Parsed, so a secret that JSON escapes (quotes, newlines) is still found.
    out = JSON.stringify(redactDeep(JSON.parse(text) as unknown));
  } catch {
    out = redact(text);
  }
  return out === text ? p : { ...p, data: encoder.encode(out) };
}

export const redactingCodec: PayloadCodec = {
  async encode(payloads) {
    return payloads.map(redactPayload);
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
