// The crash drill's report (`lanes.drill/v1`): what `lanes drill crash --json` prints.
// schemas/drill-report.schema.json is generated from this schema (drift-checked by
// test/unit/schemas/public-shapes.test.ts).
import { z } from 'zod';
import { InvariantResultSchema } from '../faults/invariants.js';
import { KILL_POINTS } from '../faults/points.js';

export const DRILL_REPORT_SCHEMA_ID = 'lanes.drill/v1';

export const DRILL_MODES = ['worker_kill', 'server_restart'] as const;
export const DrillModeSchema = z.enum(DRILL_MODES);
export type DrillMode = z.infer<typeof DrillModeSchema>;

const ms = z.number().nonnegative();

export const PointReportSchema = z
  .object({
    point: z.enum(KILL_POINTS),
    mode: DrillModeSchema,
    /** 1-based repeat index. */
    run: z.number().int().positive(),
    laneId: z.string(),
    passed: z.boolean(),
    invariants: z.array(InvariantResultSchema),
    /** Kill → the next activity attempt started (from workflow history); null if none. */
    resumeLatencyMs: ms.nullable(),
    /** The activity attempt the lane resumed with, e.g. "openLane#2" (its step, not an events write retried beside it). */
    resumedWith: z.string().nullable(),
    /** Kill → the restarted worker was polling again (worker_kill), or the server answered again (server_restart). */
    restartMs: ms.nullable(),
    /** Kill → the lane's next workflow task (decision) started: after the retried step finished. */
    decisionResumeMs: ms.nullable(),
    durationMs: ms,
    /** Where this run's home, logs and fixture repo are (kept when it failed or with keep). */
    dir: z.string().nullable(),
  })
  .strict();
export type PointReport = z.infer<typeof PointReportSchema>;

export const CrashDrillReportSchema = z
  .object({
    schema: z.literal(DRILL_REPORT_SCHEMA_ID),
    drill: z.literal('crash'),
    mode: DrillModeSchema,
    server: z.object({ address: z.string(), startedByDrill: z.boolean() }).strict(),
    passed: z.boolean(),
    points: z.array(PointReportSchema),
    durationMs: ms,
  })
  .strict();
export type CrashDrillReport = z.infer<typeof CrashDrillReportSchema>;

export function drillReportJsonSchema(): Record<string, unknown> {
  return {
    $id: 'https://lanes.dev/schemas/drill-report.json',
    title: 'Lanes crash drill report (lanes.drill/v1)',
    ...(z.toJSONSchema(CrashDrillReportSchema) as Record<string, unknown>),
  };
}
