// Generators of malformed and hostile run plans for the fuzz tests: the packet generators'
// hostile values (wrong types, huge strings, deep nesting, path tricks, control characters,
// unicode, binary) in every plan field, task packets inline and by file, hostile defaults
// (prototype keys included), unknown keys, and the same encodings (YAML alias bombs, BOMs).
import fc from 'fast-check';
import { applyMutations, encode, type Encoding, hostileValue, type Mutation, VALID_PACKET } from './hostile-inputs.js';

const { id: _id, repo: _repo, ...TASK_PACKET } = VALID_PACKET;

export const VALID_PLAN = {
  id: 'fuzz-plan',
  repo: { path: '/nonexistent/fuzz-repo' },
  target: 'main',
  maxParallel: 2,
  doctor: { commands: ['sh check.sh'], timeoutMs: 30_000 },
  budget: { tokens: 1000, mode: 'block' },
  defaults: { escalation: { recoveryAttempts: 0 } },
  tasks: [
    { id: 'a', packet: TASK_PACKET, locks: { writes: ['notes'] } },
    { id: 'b', packet: { file: 'b.yaml' }, dependsOn: ['a'] },
  ],
};

/** Every plan field a hostile value is tried in, as a property path. */
export const PLAN_FIELDS: (string | number)[][] = [
  ['id'],
  ['repo', 'path'],
  ['target'],
  ['integrationBranch'],
  ['maxParallel'],
  ['doctor', 'commands', 0],
  ['doctor', 'timeoutMs'],
  ['budget', 'costUsd'],
  ['budget', 'mode'],
  ['defaults'],
  ['defaults', 'agent'],
  ['defaults', 'repo'],
  ['tasks'],
  ['tasks', 0, 'id'],
  ['tasks', 0, 'dependsOn', 0],
  ['tasks', 0, 'locks', 'writes', 0],
  ['tasks', 0, 'packet'],
  ['tasks', 0, 'packet', 'objective'],
  ['tasks', 0, 'packet', 'scope', 'paths', 0],
  ['tasks', 0, 'packet', 'acceptance', 'targeted', 0],
  ['tasks', 0, 'packet', 'branch', 'name'],
  ['tasks', 0, 'packet', 'merge', 'target'],
  ['tasks', 1, 'packet', 'file'],
  ['tasks', 1, 'id'],
];

const mutation: fc.Arbitrary<Mutation> = fc.record({ path: fc.constantFrom(...PLAN_FIELDS), value: hostileValue });

/** Hostile defaults: prototype keys and nested objects that the deep merge walks. */
const hostileDefaults: fc.Arbitrary<Mutation> = fc
  .dictionary(fc.constantFrom('__proto__', 'constructor', 'prototype', 'agent', 'repo', 'acceptance', 'merge'), fc.oneof(hostileValue, fc.dictionary(fc.constantFrom('__proto__', 'polluted', 'model', 'path'), hostileValue, { maxKeys: 2 })), { maxKeys: 3 })
  .map((value) => ({ path: ['defaults'], value }));

/** An unknown key somewhere: always makes the plan invalid. */
const unknownKey: fc.Arbitrary<Mutation> = fc
  .record({
    at: fc.constantFrom<(string | number)[]>([], ['repo'], ['doctor'], ['budget'], ['tasks', 0], ['tasks', 0, 'locks'], ['tasks', 0, 'packet'], ['tasks', 0, 'packet', 'agent']),
    key: fc.constantFrom('evil', '__proto__x', 'cwd', 'unknownField', 'ｕｎｉｃｏｄｅ', 'a\u0000b'),
    value: hostileValue,
  })
  .map(({ at, key, value }) => ({ path: [...at, key], value }));

const encoding = fc.constantFrom<Encoding>('json', 'yaml', 'json-bom', 'yaml-alias-bomb', 'binary');

/** A hostile plan document: random mutations in any field, serialized somehow. */
export const hostilePlanText: fc.Arbitrary<{ text: string; ext: string }> = fc
  .record({ mutations: fc.array(fc.oneof({ arbitrary: mutation, weight: 4 }, { arbitrary: hostileDefaults, weight: 1 }), { minLength: 1, maxLength: 4 }), enc: encoding, noise: fc.uint8Array({ minLength: 1, maxLength: 64 }) })
  .map(({ mutations, enc, noise }) => encode(applyMutations(VALID_PLAN, mutations), enc, noise));

/** A hostile plan that is certainly invalid (an unknown key), for the CLI fuzz: nothing may start. */
export const invalidPlanText: fc.Arbitrary<{ text: string; ext: string }> = fc
  .record({ mutations: fc.array(mutation, { maxLength: 3 }), unknown: unknownKey, enc: encoding, noise: fc.uint8Array({ minLength: 1, maxLength: 64 }) })
  .map(({ mutations, unknown, enc, noise }) => encode(applyMutations(VALID_PLAN, [...mutations, unknown]), enc, noise));
