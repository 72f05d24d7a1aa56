import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
// ajv comes with @modelcontextprotocol/sdk; used here only to check the schema against real packets.
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { PACKET_JSON_SCHEMA_ID, packetJsonSchema } from '../../../src/packet/json-schema.js';

const root = join(import.meta.dirname, '../../..');
const committedPath = join(root, 'schemas/task-packet.schema.json');
const render = (schema: unknown): string => `${JSON.stringify(schema, null, 2)}\n`;

// Regenerate with: LANES_WRITE_PACKET_SCHEMA=1 npx vitest run test/unit/packet/json-schema.test.ts
if (process.env.LANES_WRITE_PACKET_SCHEMA === '1') writeFileSync(committedPath, render(packetJsonSchema()));

// Formats (the webhook's "uri") are left to parsePacket; ajv would only warn about them.
const validate = new Ajv2020({ strict: false, validateFormats: false }).compile(packetJsonSchema());

describe('packet/json-schema', () => {
  it('matches the committed schemas/task-packet.schema.json byte for byte', () => {
    const committed = readFileSync(committedPath, 'utf8');
    expect(committed, 'schema drifted: regenerate with LANES_WRITE_PACKET_SCHEMA=1 npx vitest run test/unit/packet/json-schema.test.ts').toBe(
      render(packetJsonSchema()),
    );
  });

  it('describes the input side: objective required, defaults optional, no unknown keys', () => {
    const schema = packetJsonSchema() as {
      $id: string;
      title: string;
      additionalProperties: unknown;
      required: string[];
      properties: Record<string, { additionalProperties?: unknown; default?: unknown }>;
    };
    expect(schema.$id).toBe(PACKET_JSON_SCHEMA_ID);
    expect(schema.title).toMatch(/task packet/i);
    expect(schema.properties.objective).toMatchObject({ type: 'string' });
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required.sort()).toEqual(['acceptance', 'agent', 'objective', 'repo']);
    // Objects with defaults must not be required of authors.
    expect(schema.required).not.toContain('scope');
    for (const [key, prop] of Object.entries(schema.properties)) {
      if (key !== 'id' && key !== 'objective' && key !== 'secrets') expect(prop.additionalProperties, key).toBe(false);
    }
  });

  it('accepts both example packets', () => {
    const minimal: unknown = parseYaml(readFileSync(join(root, 'examples/minimal.yaml'), 'utf8'));
    const full: unknown = JSON.parse(readFileSync(join(root, 'examples/full.json'), 'utf8'));
    expect(validate(minimal), JSON.stringify(validate.errors)).toBe(true);
    expect(validate(full), JSON.stringify(validate.errors)).toBe(true);
  });

  it.each([
    ['an unknown top-level key', { extra: true }],
    ['an unknown nested key', { merge: { strategy: 'x' } }],
    ['a bad enum value', { agent: { provider: 'gpt', model: 'm' } }],
    ['a command of the wrong type', { acceptance: { targeted: [1] } }],
  ])('rejects a packet with %s', (_label, patch) => {
    const packet = { objective: 'x', repo: { path: '.' }, acceptance: { targeted: ['t'] }, agent: { provider: 'scripted', model: 's', script: [] }, ...patch };
    expect(validate(packet)).toBe(false);
  });
});
