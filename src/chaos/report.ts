// The chaos run's report (`lanes.chaos/v1`): what chaosWorkflow returns, writes as an
// artifact and `lanes chaos --json` prints. schemas/chaos-report.schema.json is generated
// from this schema (drift-checked by test/unit/schemas/public-shapes.test.ts).
import { z } from 'zod';
import { ChaosInvariantSchema } from '../faults/invariants.js';
import { ChaosAgentSchema } from './plan.js';

export const CHAOS_REPORT_SCHEMA_ID = 'lanes.chaos/v1';

export const ChaosReportSchema = z
  .object({
    schema: z.literal(CHAOS_REPORT_SCHEMA_ID),
    chaosId: z.string(),
    seed: z.number().int(),
    /** Whether a worker honoured the per-lane fault plans (started with --allow-chaos). */
    armed: z.boolean(),
    lanes: z.array(
      z
        .object({
          laneId: z.string(),
          /** The lane's agent when the run asked for several (`--agents`); absent on builtin-only runs. */
          agent: ChaosAgentSchema.optional(),
          /** Terminal state, null when the lane did not end. */
          state: z.string().nullable(),
          failureClass: z.string().nullable(),
          fault: z.object({ point: z.string(), fault: z.string() }).strict(),
        })
        .strict(),
    ),
    invariants: z.array(ChaosInvariantSchema),
    violations: z.number().int().nonnegative(),
    reportFile: z.string(),
  })
  .strict();
export type ChaosReport = z.infer<typeof ChaosReportSchema>;

export function chaosReportJsonSchema(): Record<string, unknown> {
  return {
    $id: 'https://lanes.dev/schemas/chaos-report.json',
    title: 'Lanes chaos report (lanes.chaos/v1)',
    ...(z.toJSONSchema(ChaosReportSchema) as Record<string, unknown>),
  };
}
