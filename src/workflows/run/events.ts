// The run event envelope (lanes.run-event/v1): one typed shape for every step of a run,
// gap-free by seq per run, persisted as runs/<runId>/events.jsonl beside the lane folders.
import { z } from 'zod';
import { FailureClassSchema } from '../../failures.js';

export const RUN_EVENT_SCHEMA_ID = 'lanes.run-event/v1';

export const RUN_EVENT_TYPES = [
  'run.started',
  'run.resumed',
  'batch.started',
  'batch.finished',
  'task.started',
  'task.landed',
  'task.reused',
  'task.failed',
  'task.skipped',
  'canary.failed_as_expected',
  'canary.passed',
  'doctor.passed',
  'doctor.failed',
  'integration.advanced',
  'integration.held',
  'budget.warn',
  'budget.block',
  'run.cancelled',
  'run.finished',
  'run.failed',
] as const;
export const RunEventTypeSchema = z.enum(RUN_EVENT_TYPES);
export type RunEventType = z.infer<typeof RunEventTypeSchema>;

export const RunEventSchema = z
  .object({
    schema: z.literal(RUN_EVENT_SCHEMA_ID),
    seq: z.number().int().min(1),
    ts: z.string().datetime(),
    runId: z.string().min(1),
    type: RunEventTypeSchema,
    taskId: z.string().optional(),
    laneId: z.string().optional(),
    batch: z.number().int().min(1).optional(),
    failureClass: FailureClassSchema.optional(),
    detail: z.string(),
    data: z.record(z.string(), z.unknown()),
  })
  .strict();
export type RunEvent = z.infer<typeof RunEventSchema>;

/** JSON Schema of the envelope, shipped as schemas/run-event.schema.json. */
export function runEventJsonSchema(): Record<string, unknown> {
  return {
    $id: 'https://lanes.dev/schemas/run-event.json',
    title: 'Lanes run event envelope (lanes.run-event/v1)',
    ...(z.toJSONSchema(RunEventSchema) as Record<string, unknown>),
  };
}
