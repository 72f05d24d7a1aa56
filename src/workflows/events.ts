// The lane event envelope (DESIGN.md §3): one typed shape for every state change.
import { z } from 'zod';
import { FailureClassSchema } from '../failure-classes.js';
import { GreenLevelSchema, LaneStateSchema } from './state.js';

export const EVENT_SCHEMA_ID = 'lanes.event/v1';

export const EVENT_TYPES = [
  'lane.started',
  'lane.trust_required',
  'lane.trust_resolved',
  'lane.ready',
  'lane.prompt_accepted',
  'lane.turn.completed',
  'lane.tool.refused',
  'lane.mcp.ready',
  'lane.mcp.degraded',
  'lane.tests.started',
  'lane.tests.finished',
  'lane.red',
  'lane.green',
  'lane.commit.created',
  'lane.recovery.attempted',
  'lane.escalated',
  'lane.resolved',
  'lane.blocked',
  'lane.message.received',
  'lane.message.delivered',
  'lane.approval.requested',
  'lane.approval.granted',
  'lane.approval.denied',
  'lane.approval.timed_out',
  'lane.restarted',
  'lane.merge.ready',
  'lane.merged',
  'lane.closeout',
  'lane.rehomed',
  'lane.cancelled',
  'lane.finished',
  'lane.failed',
  'branch.stale_against_main',
  'branch.merged_forward',
  'branch.workspace_mismatch',
  'budget.warn',
  'budget.block',
  'context_window.blocked',
  'compaction.applied',
] as const;
export const EventTypeSchema = z.enum(EVENT_TYPES);
export type EventType = z.infer<typeof EventTypeSchema>;

export const LaneEventSchema = z
  .object({
    schema: z.literal(EVENT_SCHEMA_ID),
    seq: z.number().int().min(1),
    ts: z.string().datetime(),
    laneId: z.string().min(1),
    runId: z.string().optional(),
    type: EventTypeSchema,
    state: LaneStateSchema,
    greenLevel: GreenLevelSchema,
    failureClass: FailureClassSchema.optional(),
    detail: z.string(),
    data: z.record(z.string(), z.unknown()),
  })
  .strict();
export type LaneEvent = z.infer<typeof LaneEventSchema>;

/** JSON Schema of the envelope, shipped as schemas/lane-event.schema.json. */
export function eventJsonSchema(): Record<string, unknown> {
  return {
    $id: 'https://lanes.dev/schemas/lane-event.json',
    title: 'Lanes event envelope (lanes.event/v1)',
    ...(z.toJSONSchema(LaneEventSchema) as Record<string, unknown>),
  };
}
