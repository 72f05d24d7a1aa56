// Secret values out of everything Lanes records: the redactor itself, streams split
// mid-secret, the Temporal payload codec, the artifact store, test logs of real commands.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createArtifactStore } from '../../../src/activities/artifacts.js';
import { createTestActivities } from '../../../src/activities/tests.js';
import { redactingCodec } from '../../../src/redact/codec.js';
import { declareSecretNames, redact, redactDeep, StreamRedactor } from '../../../src/redact/secrets.js';

const TOKEN = 'tok-7f3a9c1e55d2-planted';
const DECLARED = 'declared-db-pass-91b2';
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lanes-redact-'));
  process.env.PLANTED_SERVICE_TOKEN = TOKEN;
  process.env.STAGING_DB_PASS = DECLARED;
});
afterEach(() => {
  delete process.env.PLANTED_SERVICE_TOKEN;
  delete process.env.STAGING_DB_PASS;
  delete process.env.TEMPORAL_TLS_CLIENT_KEY_PATH;
  rmSync(dir, { recursive: true, force: true });
});

describe('redact', () => {
  it('replaces secret-named variable values and declared names, leaves other text alone', () => {
    expect(redact(`a ${TOKEN} b ${TOKEN}`)).toBe('a [REDACTED:PLANTED_SERVICE_TOKEN] b [REDACTED:PLANTED_SERVICE_TOKEN]');
    expect(redact(`x ${DECLARED}`)).toBe(`x ${DECLARED}`);
    declareSecretNames(['STAGING_DB_PASS']);
    expect(redact(`x ${DECLARED}`)).toBe('x [REDACTED:STAGING_DB_PASS]');
    expect(redactDeep({ k: [`${TOKEN}`], n: 3 })).toEqual({ k: ['[REDACTED:PLANTED_SERVICE_TOKEN]'], n: 3 });
  });

  it('redacts TLS key material read from the file a TEMPORAL_TLS_*KEY* variable names, line by line too', () => {
    const body = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7';
    const pem = `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----\n`;
    writeFileSync(join(dir, 'client.key'), pem);
    process.env.TEMPORAL_TLS_CLIENT_KEY_PATH = join(dir, 'client.key');
    expect(redact(`printed: ${body}`)).toBe('printed: [REDACTED:TEMPORAL_TLS_CLIENT_KEY_PATH]');
    expect(redact(pem)).not.toContain(body);
  });

  it('a stream split inside a secret is still redacted', () => {
    const s = new StreamRedactor();
    const text = `start ${TOKEN} end`;
    let out = '';
    for (const ch of text) out += s.push(ch);
    out += s.flush();
    expect(out).toBe('start [REDACTED:PLANTED_SERVICE_TOKEN] end');
  });

  it('the payload codec redacts JSON payloads (even JSON-escaped secrets) and decodes as identity', async () => {
    process.env.QUOTED_SECRET = 'has"quote\nand-newline';
    try {
      const p = defaultPayloadConverter.toPayload({ out: `x ${TOKEN}`, q: `y ${process.env.QUOTED_SECRET}` });
      const [enc] = await redactingCodec.encode([p]);
      const back = defaultPayloadConverter.fromPayload<{ out: string; q: string }>(enc!);
      expect(back).toEqual({ out: 'x [REDACTED:PLANTED_SERVICE_TOKEN]', q: 'y [REDACTED:QUOTED_SECRET]' });
      expect(Buffer.from(enc!.data!).toString()).not.toContain(TOKEN);
      expect(await redactingCodec.decode([enc!])).toEqual([enc]);
    } finally {
      delete process.env.QUOTED_SECRET;
    }
  });

  it('the payload codec leaves a payload without secrets untouched and still finds secrets behind \\u and \\/ escapes', async () => {
    const enc = new TextEncoder();
    const json = (text: string) => ({ metadata: { encoding: enc.encode('json/plain') }, data: enc.encode(text) });
    // No secret: the very same payload object, its bytes not re-serialized (spacing kept).
    const plain = json('{ "a" : [1, 2], "b": "tok-7f3a9c1e55d2-plant" }');
    const [same] = await redactingCodec.encode([plain]);
    expect(same).toBe(plain);
    // Escapes JSON.stringify never writes: the secret is only visible once parsed, and must NOT slip through.
    const uEscaped = TOKEN.replace('t', '\\u0074');
    const slashSecret = 'path/of/secret-91b2';
    process.env.SLASHED_SECRET = slashSecret;
    try {
      const [a, b] = await redactingCodec.encode([json(`{"x":"${uEscaped}"}`), json(`{"y":"${slashSecret.replaceAll('/', '\\/')}"}`)]);
      expect(new TextDecoder().decode(a!.data)).toBe('{"x":"[REDACTED:PLANTED_SERVICE_TOKEN]"}');
      expect(new TextDecoder().decode(b!.data)).toBe('{"y":"[REDACTED:SLASHED_SECRET]"}');
    } finally {
      delete process.env.SLASHED_SECRET;
    }
  });

  it('the artifact store never writes a secret value', async () => {
    const store = createArtifactStore({ home: dir });
    await store.writeJson('lane-1', 'r.json', { output: TOKEN });
    await store.writeText('lane-1', 't.txt', TOKEN);
    await store.appendLine('lane-1', 'l.jsonl', TOKEN);
    await store.appendEvents('lane-1', [{ seq: 1, message: TOKEN } as { seq: number }]);
    for (const f of readdirSync(join(dir, 'lanes', 'lane-1'))) {
      const text = readFileSync(join(dir, 'lanes', 'lane-1', f), 'utf8');
      expect(text, f).not.toContain(TOKEN);
      expect(text, f).toContain('[REDACTED:PLANTED_SERVICE_TOKEN]');
    }
  });

  it('a test command gets a declared secret, prints it, and the log, tail and result hold only the marker; undeclared secrets never reach it', async () => {
    const wt = join(dir, 'worktrees', 'lane-1');
    mkdirSync(wt, { recursive: true });
    const acts = createTestActivities({ home: dir });
    const r = await acts.runAcceptance({
      laneId: 'lane-1',
      cwd: wt,
      level: 'targeted',
      commands: [{ name: 'print', run: 'echo "db=$STAGING_DB_PASS token=${PLANTED_SERVICE_TOKEN:-absent}"; printf "%s" "$STAGING_DB_PASS" | cut -c1-5; echo ' + TOKEN }],
      timeoutMs: 20_000,
      attemptKey: 'r1',
      secrets: ['STAGING_DB_PASS'],
    });
    const log = readFileSync(r.results[0]!.logPath, 'utf8');
    expect(log).toContain('db=[REDACTED:STAGING_DB_PASS] token=absent');
    expect(log).toContain('[REDACTED:PLANTED_SERVICE_TOKEN]');
    for (const text of [log, r.results[0]!.tail, readFileSync(join(dir, 'lanes', 'lane-1', 'tests', 'r1-targeted.json'), 'utf8')]) {
      expect(text).not.toContain(DECLARED);
      expect(text).not.toContain(TOKEN);
    }
  });
});
