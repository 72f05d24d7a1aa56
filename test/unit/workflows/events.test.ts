import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EVENT_SCHEMA_ID, EVENT_TYPES, eventJsonSchema, LaneEventSchema } from '../../../src/workflows/events.js';
import { FAILURE_CLASSES } from '../../../src/failures.js';
import { GREEN_LEVELS, LANE_STATES } from '../../../src/workflows/state.js';
import { assertValidEvents, LANE_EVENT_SCHEMA_PATH, laneEvents } from '../../support/events.js';

const render = (schema: unknown): string => `${JSON.stringify(schema, null, 2)}\n`;

// Regenerate with: LANES_WRITE_EVENT_SCHEMA=1 npx vitest run test/unit/workflows/events.test.ts
if (process.env.LANES_WRITE_EVENT_SCHEMA === '1') writeFileSync(LANE_EVENT_SCHEMA_PATH, render(eventJsonSchema()));

const good = () =>
  laneEvents('lane-a', [
    { type: 'lane.started', state: 'spawning', data: { packetId: 'a' } },
    { type: 'lane.ready', state: 'ready_for_prompt' },
    { type: 'lane.red', state: 'running', failureClass: 'test', data: { level: 'targeted' } },
    { type: 'lane.green', state: 'running', greenLevel: 'targeted' },
    { type: 'lane.finished', state: 'finished', greenLevel: 'targeted' },
  ]);

describe('workflows/events', () => {
  it('matches the committed schemas/lane-event.schema.json byte for byte', () => {
    expect(existsSync(LANE_EVENT_SCHEMA_PATH)).toBe(true);
    expect(readFileSync(LANE_EVENT_SCHEMA_PATH, 'utf8'), 'schema drifted: regenerate with LANES_WRITE_EVENT_SCHEMA=1 npx vitest run test/unit/workflows/events.test.ts').toBe(
      render(eventJsonSchema()),
    );
  });

  it('publishes the closed enums and a strict envelope', () => {
    const schema = JSON.parse(readFileSync(LANE_EVENT_SCHEMA_PATH, 'utf8')) as {
      $id: string;
      additionalProperties: unknown;
      required: string[];
      properties: Record<string, { enum?: string[]; const?: string }>;
    };
    expect(schema.$id).toMatch(/lane-event/);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required.sort()).toEqual(['data', 'detail', 'greenLevel', 'laneId', 'schema', 'seq', 'state', 'ts', 'type']);
    expect(schema.required).not.toContain('failureClass');
    expect(schema.properties.schema!.const).toBe(EVENT_SCHEMA_ID);
    expect(schema.properties.type!.enum).toEqual([...EVENT_TYPES]);
    expect(schema.properties.state!.enum).toEqual([...LANE_STATES]);
    expect(schema.properties.greenLevel!.enum).toEqual([...GREEN_LEVELS]);
    expect(schema.properties.failureClass!.enum).toEqual([...FAILURE_CLASSES]);
  });

  it('assertValidEvents accepts a well-formed, gap-free list that zod accepts too', () => {
    const events = good();
    expect(() => assertValidEvents(events)).not.toThrow();
    for (const e of events) expect(LaneEventSchema.safeParse(e).success).toBe(true);
    expect(() => assertValidEvents([])).not.toThrow();
  });

  it.each<[string, (events: Record<string, unknown>[]) => unknown[], RegExp]>([
    ['a gap in seq', (ev) => [ev[0], ev[2]], /has seq 3; seq must be gap-free from 1/],
    ['seq not starting at 1', (ev) => ev.slice(1), /has seq 2/],
    ['a repeated seq', (ev) => [ev[0], ev[1], { ...ev[1] }], /event #3 .* has seq 2/],
    ['an unknown event type', (ev) => [{ ...ev[0], type: 'lane.exploded' }], /\/type/],
    ['an unknown failure class', (ev) => [{ ...ev[0], failureClass: 'oops' }], /\/failureClass/],
    ['an unknown state', (ev) => [{ ...ev[0], state: 'paused' }], /\/state/],
    ['an extra envelope key', (ev) => [{ ...ev[0], extra: 1 }], /additional properties/],
    ['a missing detail', (ev) => [(({ detail: _d, ...rest }) => rest)(ev[0]!)], /detail/],
    ['a wrong schema id', (ev) => [{ ...ev[0], schema: 'lanes.event/v2' }], /\/schema/],
    ['seq 0', (ev) => [{ ...ev[0], seq: 0 }], /\/seq/],
    ['a non-ISO timestamp', (ev) => [{ ...ev[0], ts: 'yesterday' }], /\/ts/],
    ['events from two lanes', (ev) => [ev[0], { ...ev[1], laneId: 'lane-b' }], /more than one lane/],
  ])('assertValidEvents rejects %s', (_label, mutate, message) => {
    const bad = mutate(good() as unknown as Record<string, unknown>[]);
    expect(() => assertValidEvents(bad)).toThrow(message);
  });
});
