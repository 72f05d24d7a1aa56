// The public result shapes (lane report and status, chaos and drill reports) ship as JSON
// Schemas in schemas/, generated from their zod schemas. Drift-checked byte for byte,
// like schemas/lane-event.schema.json.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chaosReportJsonSchema, ChaosReportSchema } from '../../../src/chaos/report.js';
import { CrashDrillReportSchema, drillReportJsonSchema } from '../../../src/drill/report.js';
import { laneJsonSchemas, LaneReportSchema, LaneStatusSchema } from '../../../src/workflows/lane/report.js';

const dir = join(import.meta.dirname, '../../../schemas');
const render = (schema: unknown): string => `${JSON.stringify(schema, null, 2)}\n`;
const generated: Record<string, Record<string, unknown>> = {
  ...laneJsonSchemas(),
  'chaos-report.schema.json': chaosReportJsonSchema(),
  'drill-report.schema.json': drillReportJsonSchema(),
};

// Regenerate with: LANES_WRITE_SCHEMAS=1 npx vitest run test/unit/schemas/public-shapes.test.ts
if (process.env.LANES_WRITE_SCHEMAS === '1') for (const [file, schema] of Object.entries(generated)) writeFileSync(join(dir, file), render(schema));

const report = {
  schema: 'lanes.report/v1',
  laneId: 'l1',
  packetId: 'p1',
  state: 'finished',
  greenLevel: 'merge_ready',
  failureClass: null,
  detail: 'landed',
  hint: null,
  provider: { name: 'scripted', model: 'scripted', scripted: true },
  repo: '/r',
  branch: 'lanes/l1',
  target: 'main',
  worktreePath: null,
  commits: [{ sha: 'a'.repeat(40), step: 'turn-1' }],
  mergeCommit: 'b'.repeat(40),
  landedCommits: [{ sha: 'b'.repeat(40), subject: 'Land l1', laneId: 'l1', step: 'land' }],
  landed: true,
  usage: { turns: 1, inputTokens: 10, outputTokens: 5, costUsd: 0 },
  timings: { startedAt: '2026-12-01T00:00:00Z', finishedAt: '2026-12-01T00:01:00Z', durationMs: 60_000 },
  events: 12,
};

describe('schemas/ public shapes', () => {
  it.each(Object.keys(generated))('%s matches its zod schema byte for byte', (file) => {
    expect(readFileSync(join(dir, file), 'utf8'), `schemas/${file} drifted: regenerate with LANES_WRITE_SCHEMAS=1 npx vitest run test/unit/schemas/public-shapes.test.ts`).toBe(
      render(generated[file]),
    );
  });

  it('the report schemas name their version and are closed', () => {
    for (const file of ['lane-report.schema.json', 'chaos-report.schema.json', 'drill-report.schema.json']) {
      const s = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { additionalProperties: unknown; properties: { schema: { const: string } } };
      expect(s.additionalProperties).toBe(false);
      expect(s.properties.schema.const).toMatch(/^lanes\.(report|chaos|drill)\/v1$/);
    }
  });

  it('a lane report and a status parse; a report with an unknown key or a foreign class does not', () => {
    expect(LaneReportSchema.parse(report)).toEqual(report);
    expect(LaneStatusSchema.parse({ laneId: 'l1', state: 'finished', greenLevel: 'merge_ready', failureClass: null, worktreePath: null, hostQueue: null, lastSeq: 11, report })).toBeTruthy();
    // Must not: accept a shape the contract does not name.
    expect(LaneReportSchema.safeParse({ ...report, extra: 1 }).success).toBe(false);
    expect(LaneReportSchema.safeParse({ ...report, failureClass: 'oops' }).success).toBe(false);
    expect(LaneReportSchema.safeParse({ ...report, schema: 'lanes.report/v2' }).success).toBe(false);
  });

  it('chaos and drill reports refuse a missing invariant detail', () => {
    const chaos = { schema: 'lanes.chaos/v1', chaosId: 'c', seed: 1, armed: true, lanes: [], invariants: [{ laneId: 'l', name: 'n', passed: true, detail: 'd' }], violations: 0, reportFile: '/x' };
    expect(ChaosReportSchema.parse(chaos)).toEqual(chaos);
    expect(ChaosReportSchema.safeParse({ ...chaos, invariants: [{ laneId: 'l', name: 'n', passed: true }] }).success).toBe(false);
    const drill = { schema: 'lanes.drill/v1', drill: 'crash', mode: 'worker_kill', server: { address: 'a', startedByDrill: true }, passed: true, points: [], durationMs: 1 };
    expect(CrashDrillReportSchema.parse(drill)).toEqual(drill);
    expect(CrashDrillReportSchema.safeParse({ ...drill, mode: 'reboot' }).success).toBe(false);
  });
});
