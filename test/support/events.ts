// Event assertions shared by tests: every event a lane produces must match the
// COMMITTED JSON Schema (what consumers download), and seq must be gap-free.
import { AssertionError } from 'node:assert';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
// ajv comes with @modelcontextprotocol/sdk (as in the packet schema test).
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { EVENT_SCHEMA_ID, type EventType, type LaneEvent } from '../../src/workflows/events.js';
import type { FailureClass } from '../../src/failures.js';
import type { GreenLevel, LaneState } from '../../src/workflows/state.js';

export const LANE_EVENT_SCHEMA_PATH = fileURLToPath(new URL('../../schemas/lane-event.schema.json', import.meta.url));

let validator: ValidateFunction | undefined;
function validate(): ValidateFunction {
  // Formats are checked by the schema's own `pattern` for ts; ajv-formats is not a direct dependency.
  validator ??= new Ajv2020({ strict: false, validateFormats: false, allErrors: true }).compile(JSON.parse(readFileSync(LANE_EVENT_SCHEMA_PATH, 'utf8')));
  return validator;
}

/**
 * Throws an AssertionError unless every event matches schemas/lane-event.schema.json,
 * seq runs 1, 2, 3, … without gaps or repeats, and all events belong to one lane.
 */
export function assertValidEvents(events: readonly unknown[]): asserts events is LaneEvent[] {
  const check = validate();
  events.forEach((event, i) => {
    if (!check(event)) {
      const why = (check.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? ''}`.trim()).join('; ');
      throw new AssertionError({ message: `event #${i + 1} does not match the lane event schema: ${why}\n${JSON.stringify(event)}` });
    }
  });
  const list = events as LaneEvent[];
  list.forEach((e, i) => {
    if (e.seq !== i + 1) {
      throw new AssertionError({
        message: `event #${i + 1} (${e.type}) has seq ${e.seq}; seq must be gap-free from 1`,
        actual: list.map((x) => x.seq),
        expected: list.map((_, j) => j + 1),
        operator: 'gap-free seq',
      });
    }
  });
  const lanes = new Set(list.map((e) => e.laneId));
  if (lanes.size > 1) throw new AssertionError({ message: `events from more than one lane: ${[...lanes].join(', ')}` });
}

export interface EventSpec {
  type: EventType;
  state: LaneState;
  greenLevel?: GreenLevel;
  failureClass?: FailureClass;
  detail?: string;
  data?: Record<string, unknown>;
}

/** Builds a well-formed event list (seq 1..n, ts one second apart) for tests of event consumers. */
export function laneEvents(laneId: string, specs: readonly EventSpec[], start = Date.parse('2025-01-01T00:00:00.000Z')): LaneEvent[] {
  return specs.map((s, i) => ({
    schema: EVENT_SCHEMA_ID,
    seq: i + 1,
    ts: new Date(start + i * 1000).toISOString(),
    laneId,
    runId: 'run-1',
    type: s.type,
    state: s.state,
    greenLevel: s.greenLevel ?? 'none',
    ...(s.failureClass ? { failureClass: s.failureClass } : {}),
    detail: s.detail ?? s.type,
    data: s.data ?? {},
  }));
}
