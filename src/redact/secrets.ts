// Which values are secrets, and how they are taken out of text before it is recorded:
// every value becomes `[REDACTED:<name>]` in tool outputs, test logs, transcripts, events,
// reports, webhook bodies, MCP stderr logs and every payload sent to Temporal.
//
// Secrets are the values of the worker's variables named like credentials (provider keys,
// TEMPORAL_API_KEY, …_TOKEN, …_SECRET, …_PASSWORD: child-env.ts), TLS key material (the
// files TEMPORAL_TLS_*KEY* variables point at, or their inline PEM), and variables a packet
// declares in `secrets`. The registry is process-wide because the Temporal payload codec
// is: a packet's names are added when one of its activities runs.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isCredentialVariable } from '../shell/child-env.js';

/** Values shorter than this are not redacted: they would shred ordinary text. */
export const MIN_SECRET_LENGTH = 6;

const TLS_KEY_VARIABLE = /^TEMPORAL_TLS_.*KEY/i;

export interface Secret {
  name: string;
  value: string;
}

const declaredNames = new Set<string>();
/** Secrets that do not live in the environment (config-file API key, TLS key files). */
const declaredValues: Secret[] = [];
let cache: { key: string; secrets: Secret[] } | undefined;

/** PEM bodies are also matched line by line: a test may print one line of a key. */
function keyMaterial(name: string, raw: string): Secret[] {
  let text = raw;
  if (!raw.includes('-----BEGIN') && existsSync(raw)) {
    try {
      if (statSync(raw).size <= 1_000_000) text = readFileSync(raw, 'utf8');
    } catch {
      return [];
    }
  }
  if (!text.includes('-----BEGIN')) return [];
  const lines = text.split(/\r?\n/).filter((l) => l.length >= 16 && !l.startsWith('-----'));
  return [{ name, value: text.trim() }, ...lines.map((value) => ({ name, value }))];
}

/** The variables whose values are secrets (TLS ones may hold a path to the key). */
function candidates(env: NodeJS.ProcessEnv): [string, string][] {
  // Names first: reading a value of process.env is a call into the environment, and this runs per payload.
  const out: [string, string][] = [];
  for (const name of Object.keys(env)) {
    if (!(TLS_KEY_VARIABLE.test(name) || isCredentialVariable(name) || declaredNames.has(name))) continue;
    const value = env[name];
    if (value !== undefined) out.push([name, value]);
  }
  return out;
}

function collect(vars: [string, string][]): Secret[] {
  const out: Secret[] = [];
  for (const [name, value] of vars) {
    if (TLS_KEY_VARIABLE.test(name)) out.push(...keyMaterial(name, value));
    if (isCredentialVariable(name) || declaredNames.has(name)) out.push({ name, value });
  }
  out.push(...declaredValues);
  // Longest first, so a secret that contains another is replaced whole.
  return out.filter((s) => s.value.length >= MIN_SECRET_LENGTH).sort((a, b) => b.value.length - a.value.length);
}

// The environment can change under a long-lived worker (tests do it); the key is cheap next
// to re-reading key files, so it is recomputed on every call.
function secrets(env: NodeJS.ProcessEnv = process.env): Secret[] {
  const vars = candidates(env);
  const key = JSON.stringify(vars) + declaredValues.length;
  if (cache?.key !== key) cache = { key, secrets: collect(vars) };
  return cache.secrets;
}

/** Adds packet-declared secret variable names (their values come from the worker's environment). */
export function declareSecretNames(names: readonly string[] | undefined): void {
  for (const n of names ?? []) declaredNames.add(n);
}

/**
 * Adds a secret that is not in the environment: the Temporal API key from a config file, or
 * (for a `-----BEGIN` value or a path to one) TLS key material.
 */
export function declareSecretValue(name: string, valueOrKeyPath: string): void {
  const material = keyMaterial(name, valueOrKeyPath);
  if (material.length) declaredValues.push(...material);
  else if (!existsSync(valueOrKeyPath)) declaredValues.push({ name, value: valueOrKeyPath });
}

/** The length of the longest secret (a stream holds back this much minus one). */
export function longestSecret(): number {
  return secrets()[0]?.value.length ?? 0;
}

/**
 * The secrets as of now, longest first, for a caller that redacts several values at once
 * (the payload codec, per batch): reading the environment is the costly part (~30 µs per
 * call with ~100 variables), so a batch reads it once.
 */
export function currentSecrets(): readonly Secret[] {
  return secrets();
}

export function redactWith(list: readonly Secret[], text: string): string {
  let out = text;
  for (const { name, value } of list) {
    if (out.includes(value)) out = out.split(value).join(`[REDACTED:${name}]`);
  }
  return out;
}

export function redact(text: string): string {
  return redactWith(secrets(), text);
}

/** A copy of a JSON-like value with every string (keys included) redacted (against `list`, default: the secrets now). */
export function redactDeep<T>(value: T, list: readonly Secret[] = secrets()): T {
  if (list.length === 0) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return redactWith(list, v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [redactWith(list, k), walk(x)]));
    }
    return v;
  };
  return walk(value) as T;
}

/**
 * Redacts a stream of text chunks: a secret split across two chunks is still caught, by
 * holding back the last (longest secret − 1) characters until more text or the end.
 */
export class StreamRedactor {
  private held = '';

  push(chunk: string): string {
    const text = this.held + chunk;
    const keep = Math.max(0, longestSecret() - 1);
    if (keep === 0) {
      this.held = '';
      return text;
    }
    const redacted = redact(text);
    if (redacted !== text) {
      // Emit everything up to the end of the last replacement's safe zone.
      const cut = Math.max(0, redacted.length - keep);
      this.held = redacted.slice(cut);
      return redacted.slice(0, cut);
    }
    const cut = Math.max(0, text.length - keep);
    this.held = text.slice(cut);
    return text.slice(0, cut);
  }

  flush(): string {
    const rest = redact(this.held);
    this.held = '';
    return rest;
  }
}
