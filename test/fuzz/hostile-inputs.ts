// Generators of malformed and hostile task packets for the fuzz tests: wrong types, unknown
// keys, huge strings, deep nesting, path tricks in every path field, control characters,
// unicode, YAML alias bombs, BOMs and binary, in JSON and YAML.
import fc from 'fast-check';
import { stringify } from 'yaml';

export const VALID_PACKET = {
  id: 'fuzz-base',
  objective: 'Add multiply',
  repo: { path: '/nonexistent/fuzz-repo', baseBranch: 'main' },
  scope: { kind: 'workspace', paths: ['src'], writeManifest: ['src/**'] },
  acceptance: { targeted: ['node --test test/'], requiredLevel: 'targeted' },
  agent: { provider: 'scripted', model: 's', script: [{ text: 'done' }] },
  mcp: { servers: { docs: { command: 'node', args: ['srv.js'], cwd: 'tools' } } },
  sandbox: { network: 'none', readOnly: ['/usr/share'], writable: ['/var/tmp/x'], hide: ['/srv'] },
  secrets: ['DB_PASS'],
};

/** Every field that holds a path, as a property path. */
export const PATH_FIELDS: (string | number)[][] = [
  ['repo', 'path'],
  ['scope', 'paths', 0],
  ['scope', 'writeManifest', 0],
  ['sandbox', 'readOnly', 0],
  ['sandbox', 'writable', 0],
  ['sandbox', 'hide', 0],
  ['mcp', 'servers', 'docs', 'cwd'],
  ['mcp', 'servers', 'docs', 'command'],
  ['branch', 'name'],
  ['merge', 'target'],
];

const OTHER_FIELDS: (string | number)[][] = [
  ['id'],
  ['objective'],
  ['acceptance', 'targeted', 0],
  ['acceptance', 'timeoutMs'],
  ['acceptance', 'requiredLevel'],
  ['agent', 'provider'],
  ['agent', 'maxTurns'],
  ['agent', 'permissionMode'],
  ['sandbox', 'network'],
  ['secrets', 0],
  ['report', 'webhook'],
  ['budget', 'costUsd'],
  ['commit', 'author'],
  ['screen', 'maxFileBytes'],
];

const pathTrick = fc.constantFrom(
  '../../../../etc/passwd',
  '/etc/passwd\u0000.json',
  '~root/.ssh/id_rsa',
  '~/../../etc',
  'C:\\Windows\\System32',
  '\\\\server\\share',
  '/proc/self/environ',
  'src/../../..',
  '-rf',
  '--upload-pack=touch /tmp/pwned',
  'refs/heads/../../x',
  'a\nb',
  '',
  ' ',
  '.git/hooks/post-commit',
);

const controlChars = fc.string({ unit: fc.integer({ min: 0, max: 31 }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 20 });

function deep(depth: number): unknown {
  let v: unknown = 'leaf';
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { k: v };
  return v;
}

/** A hostile value for any field. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1.5, Number.MAX_SAFE_INTEGER, 1e308, [], {}, ''),
  fc.integer(),
  fc.double(),
  pathTrick,
  controlChars,
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.integer({ min: 10_000, max: 200_000 }).map((n) => 'x'.repeat(n)),
  fc.integer({ min: 50, max: 400 }).map(deep),
  fc.array(fc.string(), { maxLength: 5 }),
  fc.dictionary(fc.constantFrom('__proto__', 'constructor', 'prototype', 'x', '$ref'), fc.string(), { maxKeys: 3 }),
);

function setAt(obj: unknown, path: (string | number)[], value: unknown): unknown {
  const copy = structuredClone(obj) as Record<string | number, unknown>;
  let cur = copy;
  for (const k of path.slice(0, -1)) {
    if (typeof cur[k] !== 'object' || cur[k] === null) cur[k] = typeof path[path.indexOf(k) + 1] === 'number' ? [] : {};
    cur = cur[k] as Record<string | number, unknown>;
  }
  cur[path[path.length - 1]!] = value;
  return copy;
}

export interface Mutation {
  path: (string | number)[];
  value: unknown;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  path: fc.constantFrom(...PATH_FIELDS, ...OTHER_FIELDS),
  value: hostileValue,
});

/** An unknown key somewhere: always makes the packet invalid. */
const unknownKey: fc.Arbitrary<Mutation> = fc
  .record({
    at: fc.constantFrom<(string | number)[]>([], ['repo'], ['scope'], ['acceptance'], ['agent'], ['sandbox'], ['screen'], ['merge']),
    key: fc.constantFrom('evil', '__proto__x', 'cwd', 'unknownField', 'ｕｎｉｃｏｄｅ', 'a\u0000b'),
    value: hostileValue,
  })
  .map(({ at, key, value }) => ({ path: [...at, key], value }));

export function applyMutations(base: unknown, ms: Mutation[]): unknown {
  return ms.reduce((acc, m) => setAt(acc, m.path, m.value), base);
}

export type Encoding = 'json' | 'yaml' | 'json-bom' | 'yaml-alias-bomb' | 'binary';

export function encode(value: unknown, enc: Encoding, noise: Uint8Array): { text: string; ext: string } {
  switch (enc) {
    case 'json':
      return { text: JSON.stringify(value), ext: '.json' };
    case 'json-bom':
      return { text: '\uFEFF' + JSON.stringify(value), ext: '.json' };
    case 'yaml':
      return { text: stringify(value), ext: '.yaml' };
    case 'yaml-alias-bomb': {
      const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
      for (let i = 1; i < 10; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
      return { text: `${lines.join('\n')}\n${stringify(value)}`, ext: '.yaml' };
    }
    case 'binary':
      return { text: Buffer.from(noise).toString('latin1') + JSON.stringify(value), ext: '.json' };
  }
}

/** A hostile packet document: some random mutations, always serialized somehow. */
export const hostilePacketText: fc.Arbitrary<{ text: string; ext: string; mutations: Mutation[] }> = fc
  .record({
    mutations: fc.array(mutation, { minLength: 1, maxLength: 4 }),
    enc: fc.constantFrom<Encoding>('json', 'yaml', 'json-bom', 'yaml-alias-bomb', 'binary'),
    noise: fc.uint8Array({ minLength: 1, maxLength: 64 }),
  })
  .map(({ mutations, enc, noise }) => ({ ...encode(applyMutations(VALID_PACKET, mutations), enc, noise), mutations }));

/** A hostile packet that is certainly invalid (it carries an unknown key), for the CLI fuzz. */
export const invalidPacketText: fc.Arbitrary<{ text: string; ext: string }> = fc
  .record({
    mutations: fc.array(mutation, { maxLength: 3 }),
    unknown: unknownKey,
    enc: fc.constantFrom<Encoding>('json', 'yaml', 'json-bom', 'yaml-alias-bomb', 'binary'),
    noise: fc.uint8Array({ minLength: 1, maxLength: 64 }),
  })
  .map(({ mutations, unknown, enc, noise }) => encode(applyMutations(VALID_PACKET, [...mutations, unknown]), enc, noise));
