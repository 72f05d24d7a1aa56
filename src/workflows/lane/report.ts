// The lane's public result shapes as zod schemas: the report a finished lane returns
// (`lanes.report/v1`, also report.json and `lanes wait --json`) and the status the `state`
// query answers (`lanes status --json`, the board). The types are inferred from these, and
// schemas/lane-report.schema.json and lane-status.schema.json are generated from them
// (drift-checked by test/unit/schemas/public-shapes.test.ts). Pure: zod only.
import { z } from 'zod';
import { FailureClassSchema } from '../../failure-classes.js';
import { GreenLevelSchema, LaneStateSchema } from '../state.js';

export const LANE_REPORT_SCHEMA_ID = 'lanes.report/v1';

export const LaneUsageSchema = z
  .object({
    turns: z.number().int().nonnegative(),
    inputTokens: z.number().int().nonnegative(),
    outputTokens: z.number().int().nonnegative(),
    costUsd: z.number().nonnegative(),
  })
  .strict();
export type LaneUsage = z.infer<typeof LaneUsageSchema>;

/** A checkpoint commit the lane made, by the step that made it. */
export const LaneCommitSchema = z.object({ sha: z.string(), step: z.string() }).strict();
export type LaneCommit = z.infer<typeof LaneCommitSchema>;

/** A commit the landing brought onto the target; laneId/step from its trailers (null for others' commits). */
export const LandedCommitSchema = z
  .object({ sha: z.string(), subject: z.string(), laneId: z.string().nullable(), step: z.string().nullable() })
  .strict();
export type LandedCommit = z.infer<typeof LandedCommitSchema>;

export const LaneReportSchema = z
  .object({
    schema: z.literal(LANE_REPORT_SCHEMA_ID),
    laneId: z.string(),
    packetId: z.string(),
    state: LaneStateSchema,
    greenLevel: GreenLevelSchema,
    failureClass: FailureClassSchema.nullable(),
    detail: z.string(),
    /** How to fix what stopped the lane (null when it finished or nothing is known). */
    hint: z.string().nullable(),
    provider: z.object({ name: z.string(), model: z.string(), scripted: z.boolean() }).strict(),
    repo: z.string(),
    branch: z.string(),
    target: z.string(),
    worktreePath: z.string().nullable(),
    commits: z.array(LaneCommitSchema),
    mergeCommit: z.string().nullable(),
    /** Every commit the landing brought onto the target (lane commits, merged-forward ones, the land commit). */
    landedCommits: z.array(LandedCommitSchema),
    landed: z.boolean(),
    /** Landing: whether the merge candidate ran its tests; not when its tree is the one the top worktree level ran green on. */
    candidate: z
      .object({
        retested: z.boolean(),
        /** Why it was (or was not) tested again. */
        reason: z.string(),
        /** Not retested: the tree landed, and the worktree run that stands for it. */
        tree: z.string().nullable(),
        level: z.string().nullable(),
        attemptKey: z.string().nullable(),
      })
      .strict()
      .optional(),
    usage: LaneUsageSchema,
    timings: z.object({ startedAt: z.string(), finishedAt: z.string(), durationMs: z.number().nonnegative() }).strict(),
    /** How many events the lane emitted. */
    events: z.number().int().nonnegative(),
  })
  .strict();
export type LaneReport = z.infer<typeof LaneReportSchema>;

/** A tool call waiting for a person (`lanes approve` / `lanes deny`): the exact call, as the approval rules saw it. */
export const ApprovalRequestSchema = z
  .object({
    requestId: z.string(),
    tool: z.string(),
    /** The argument the rules matched (bash command, file path, pattern, MCP input as JSON), capped. */
    call: z.string(),
    turn: z.number().int(),
    callId: z.string(),
    /** The rule that asked (`tool` + `match`), or null for the packet's default. */
    rule: z.string().nullable(),
    requestedAt: z.string(),
    /** When the request times out and escalates (escalation policy). */
    expiresAt: z.string(),
  })
  .strict();
export type ApprovalRequest = z.infer<typeof ApprovalRequestSchema>;

export const LaneStatusSchema = z
  .object({
    laneId: z.string(),
    state: LaneStateSchema,
    greenLevel: GreenLevelSchema,
    failureClass: FailureClassSchema.nullable(),
    worktreePath: z.string().nullable(),
    hostQueue: z.string().nullable(),
    lastSeq: z.number().int(),
    report: LaneReportSchema.nullable(),
    /** Model usage so far (the board shows it while the lane runs). */
    usage: LaneUsageSchema.optional(),
    /** The tool call waiting for `lanes approve` / `lanes deny` (state awaiting_approval). */
    pendingApproval: ApprovalRequestSchema.nullable().optional(),
    /** Operator messages waiting for the agent's next turn (`lanes send`). */
    queuedMessages: z.number().int().nonnegative().optional(),
  })
  .strict();
export type LaneStatus = z.infer<typeof LaneStatusSchema>;

/** JSON Schemas shipped in schemas/, by file name. */
export function laneJsonSchemas(): Record<string, Record<string, unknown>> {
  return {
    'lane-report.schema.json': {
      $id: 'https://lanes.dev/schemas/lane-report.json',
      title: 'Lanes lane report (lanes.report/v1)',
      ...(z.toJSONSchema(LaneReportSchema) as Record<string, unknown>),
    },
    'lane-status.schema.json': {
      $id: 'https://lanes.dev/schemas/lane-status.json',
      title: 'Lanes lane status (the state query; lanes status --json)',
      ...(z.toJSONSchema(LaneStatusSchema) as Record<string, unknown>),
    },
  };
}
