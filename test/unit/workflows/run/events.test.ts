import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { RUN_EVENT_SCHEMA_ID, RUN_EVENT_TYPES, RunEventSchema, runEventJsonSchema } from '../../../../src/workflows/run/events.js';

const path = join(import.meta.dirname, '../../../../schemas/run-event.schema.json');
const render = (schema: unknown): string => `${JSON.stringify(schema, null, 2)}\n`;

// Regenerate with: LANES_WRITE_RUN_EVENT_SCHEMA=1 npx vitest run test/unit/workflows/run/events.test.ts
if (process.env.LANES_WRITE_RUN_EVENT_SCHEMA === '1') writeFileSync(path, render(runEventJsonSchema()));

const event = (over: Record<string, unknown> = {}) => ({
  schema: RUN_EVENT_SCHEMA_ID,
  seq: 1,
  ts: '2026-12-01T10:00:00.000Z',
  runId: 'r1',
  type: 'task.landed',
  taskId: 'a',
  laneId: 'r1.a',
  batch: 1,
  detail: 'landed',
  data: {},
  ...over,
});

describe('workflows/run/events', () => {
  it('matches the committed schemas/run-event.schema.json byte for byte', () => {
    expect(readFileSync(path, 'utf8'), 'schema drifted: regenerate with LANES_WRITE_RUN_EVENT_SCHEMA=1 npx vitest run test/unit/workflows/run/events.test.ts').toBe(render(runEventJsonSchema()));
  });

  it('the JSON Schema and the zod schema agree on good and bad envelopes', () => {
    const validate = new Ajv2020({ strict: false, validateFormats: false }).compile(runEventJsonSchema());
    expect(validate(event()), JSON.stringify(validate.errors)).toBe(true);
    expect(RunEventSchema.safeParse(event()).success).toBe(true);
    for (const bad of [event({ type: 'task.exploded' }), event({ seq: 0 }), event({ extra: 1 }), event({ failureClass: 'oops' })]) {
      expect(validate(bad)).toBe(false);
      expect(RunEventSchema.safeParse(bad).success).toBe(false);
    }
  });

  it('names every step the issue asks for', () => {
    for (const t of ['run.started', 'batch.started', 'task.started', 'task.landed', 'task.skipped', 'doctor.passed', 'doctor.failed', 'canary.failed_as_expected', 'integration.advanced', 'budget.warn', 'budget.block', 'run.finished']) {
      expect(RUN_EVENT_TYPES).toContain(t);
    }
  });
});
