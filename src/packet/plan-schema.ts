// The run plan contract (docs/runs.md): many task packets against one repository, with
// dependencies, read/write locks, a doctor that gates the integration branch, and a run
// budget. Strict like the packet: a typo is refused with its path. Imports only zod and the
// packet schema, so workflow code may import it.
import { z } from 'zod';
import { AcceptanceCommandSchema, gitRefName, PACKET_ID_PATTERN } from './schema.js';

/** Run ids and task ids: plain names (they become workflow ids, branch and folder names). */
export const RUN_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,37}$/;
export const TASK_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,19}$/;

const branchName = () => gitRefName('lanes-run/backlog');

const LockListSchema = z
  .array(z.string().trim().min(1))
  .default([])
  .describe('Named resources ("db-schema") or path globs ("src/api/**"); a glob is conservatively taken to cover everything under its static prefix.');

export const TaskLocksSchema = z
  .object({
    reads: LockListSchema,
    writes: LockListSchema,
  })
  .strict();

export const PlanTaskSchema = z
  .object({
    id: z.string().regex(TASK_ID_PATTERN).describe('Task id, unique in the plan; the lane id is <runId>.<taskId>.'),
    packet: z
      .union([
        z.object({ file: z.string().min(1).describe('Packet file (.json/.yaml), relative to the plan file.') }).strict(),
        z.record(z.string(), z.unknown()).describe('An inline task packet (without id; the plan defaults are applied under it).'),
      ])
      .describe('The task packet: inline, or { file } referring to a packet file.'),
    dependsOn: z.array(z.string().min(1)).default([]).describe('Task ids that must have landed on the integration branch first.'),
    locks: TaskLocksSchema.prefault({}),
  })
  .strict();
export type PlanTask = z.output<typeof PlanTaskSchema>;

export const DoctorSchema = z
  .object({
    commands: z.array(AcceptanceCommandSchema).min(1).describe('Run in a checkout of the integration branch; every one must exit 0. Must fail when LANES_CANARY=1 is set.'),
    timeoutMs: z.number().int().positive().default(600_000).describe('Per-command timeout in milliseconds.'),
  })
  .strict();

export const RunBudgetSchema = z
  .object({
    tokens: z.number().int().positive().optional().describe('Input + output tokens summed over every lane of the run.'),
    costUsd: z.number().positive().optional().describe('Provider cost summed over every lane of the run.'),
    wallTimeMs: z.number().int().positive().optional().describe('Wall time of the run; no lane starts after it.'),
    mode: z.enum(['block', 'warn']).default('block').describe("'block': no new lane and no integration past the limit; 'warn': one budget.warn event."),
  })
  .strict();
export type RunBudget = z.output<typeof RunBudgetSchema>;

export const RunPlanSchema = z
  .object({
    id: z.string().regex(RUN_ID_PATTERN).describe('Run id: the workflow id is run-<id>; starting the same plan again attaches.'),
    repo: z.object({ path: z.string().min(1).describe('Local repository path, relative to the plan file.') }).strict(),
    target: branchName().default('main').describe('Branch the run integrates into, only by fast-forward.'),
    integrationBranch: branchName().optional().describe('Where lanes land first; default lanes-run/<id>.'),
    maxParallel: z.number().int().min(1).max(32).default(2).describe('Most lanes running at once.'),
    doctor: DoctorSchema,
    budget: RunBudgetSchema.prefault({}),
    defaults: z.record(z.string(), z.unknown()).default({}).describe('Packet fields applied under every task packet (deep merge; the task wins).'),
    tasks: z.array(PlanTaskSchema).min(1),
  })
  .strict();

export type RunPlan = z.output<typeof RunPlanSchema>;
export type RunPlanInput = z.input<typeof RunPlanSchema>;

/** The lane id of a task: a packet id, so it is also a workflow id suffix and a folder name. */
export function laneIdOf(runId: string, taskId: string): string {
  const id = `${runId}.${taskId}`;
  if (!PACKET_ID_PATTERN.test(id)) throw new RangeError(`lane id ${id} is not a valid packet id`);
  return id;
}

export function defaultIntegrationBranch(runId: string): string {
  return `lanes-run/${runId}`;
}
