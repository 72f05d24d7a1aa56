import { describe, expect, it } from 'vitest';
import { canonicalJson, packetFingerprint } from '../../../src/packet/fingerprint.js';
import { parsePacket } from '../../../src/packet/parse.js';
import { TaskPacketSchema } from '../../../src/packet/schema.js';

const packet = {
  id: 'lane-1',
  objective: 'Fix the bug',
  repo: { path: '/repos/app', baseBranch: 'main' },
  acceptance: { targeted: ['npm test'], requiredLevel: 'targeted' },
  agent: { provider: 'scripted', model: 'scripted', script: [{ text: 'a' }, { text: 'b' }] },
};

// The same packet written with every object's keys in reverse order.
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reverseKeys(v)]));
  }
  return value;
}

const fp = (value: unknown): string => packetFingerprint(TaskPacketSchema.parse(value));

describe('packet/fingerprint', () => {
  it('is a sha256 hex digest', () => {
    expect(fp(packet)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('does not change with key order, JSON vs YAML, or defaults written out', () => {
    const yaml = 'agent: {script: [{text: a}, {text: b}], model: scripted, provider: scripted}\nacceptance: {requiredLevel: targeted, targeted: [npm test]}\nrepo: {path: /repos/app}\nobjective: Fix the bug\nid: lane-1\n';
    const explicitDefaults = { ...packet, merge: { target: 'main', mode: 'merge' }, acceptance: { ...packet.acceptance, targeted: [{ run: 'npm test' }] } };
    const expected = fp(packet);
    expect(fp(reverseKeys(packet))).toBe(expected);
    expect(packetFingerprint(parsePacket(yaml, { format: 'yaml' }))).toBe(expected);
    expect(fp(explicitDefaults)).toBe(expected);
  });

  it('ignores the id, so the same content under two ids matches', () => {
    expect(fp({ ...packet, id: 'other' })).toBe(fp(packet));
    const { id: _id, ...withoutId } = packet;
    expect(fp(withoutId)).toBe(fp(packet));
  });

  it.each([
    ['objective', { objective: 'Fix another bug' }],
    ['a command', { acceptance: { targeted: ['npm test -- --ci'], requiredLevel: 'targeted' } }],
    ['the required level', { acceptance: { targeted: ['npm test'], requiredLevel: 'merge_ready' } }],
    ['the order of scripted turns', { agent: { ...packet.agent, script: [{ text: 'b' }, { text: 'a' }] } }],
    ['a default overridden', { escalation: { recoveryAttempts: 0 } }],
    ['the base branch', { repo: { path: '/repos/app', baseBranch: 'develop' } }],
  ])('differs when %s differs', (_label, patch) => {
    expect(fp({ ...packet, ...patch })).not.toBe(fp(packet));
  });

  it('sorts keys at every depth and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[3,{"y":2,"z":1}]},"b":1}');
  });
});
