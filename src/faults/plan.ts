// Fault plans: which kill point gets which fault. A plan is read only from the
// worker's own command line (`lanes worker --fault-plan <file>`) or environment
// (LANES_FAULT_PLAN=<file>); nothing in a task packet or in workflow history can
// name one, so a lane can never switch faults on by itself.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { LanesError } from '../errors.js';
import { FailureClassSchema } from '../failures.js';
import { KILL_POINTS } from './points.js';

/** Faults implemented at every kill point. */
export const FAULT_KINDS = [
  /** SIGKILL the worker process (no cleanup, no graceful drain). */
  'crash',
  /** process.exit(1): an abnormal exit that is not a signal. */
  'exit',
  /** Throw a laneFailure of `class` (default infra) from the activity. */
  'throw',
  /** Sleep `delayMs` (heartbeating), then carry on. */
  'delay',
  /** Throw an infra failure shaped like a full disk (code ENOSPC) on an artifact write. */
  'enospc',
  /** Leave a stale `.git/index.lock` in the lane's repository (points that know the repo). */
  'index_lock',
  /** SIGKILL the lane's MCP server processes (from lanes/<laneId>/mcp-pids.json), then carry on. */
  'mcp_crash',
  /** SIGSTOP the lane's MCP server processes, so they hang until killed; then carry on. */
  'mcp_hang',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export const FAULT_PLAN_ENV = 'LANES_FAULT_PLAN';

export const FaultSpecSchema = z
  .object({
    point: z.enum(KILL_POINTS).describe('Kill point name (see KILL_POINTS).'),
    fault: z.enum(FAULT_KINDS),
    class: FailureClassSchema.optional().describe("Failure class thrown by fault 'throw' (default infra)."),
    delayMs: z.number().int().min(0).max(600_000).optional().describe("Milliseconds slept by fault 'delay'."),
    times: z.number().int().min(1).max(1_000).default(1).describe('How often the fault fires per (lane, point), across worker restarts.'),
    laneId: z.string().min(1).optional().describe('Only this lane; default every lane.'),
    match: z
      .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
      .optional()
      .describe('Only when the point context has these values, e.g. {"tool":"bash"} at mid_tool.'),
  })
  .strict()
  .superRefine((spec, ctx) => {
    if (spec.fault === 'delay' && spec.delayMs === undefined) ctx.addIssue({ code: 'custom', path: ['delayMs'], message: "fault 'delay' needs delayMs" });
    if (spec.fault !== 'throw' && spec.class !== undefined) ctx.addIssue({ code: 'custom', path: ['class'], message: "class applies only to fault 'throw'" });
    if (spec.fault !== 'delay' && spec.delayMs !== undefined) ctx.addIssue({ code: 'custom', path: ['delayMs'], message: "delayMs applies only to fault 'delay'" });
  });
export type FaultSpec = z.infer<typeof FaultSpecSchema>;

export const FaultPlanSchema = z.array(FaultSpecSchema);
export type FaultPlan = z.infer<typeof FaultPlanSchema>;
export type FaultPlanInput = z.input<typeof FaultPlanSchema>;

/** Parses a plan (already-read JSON), naming the first bad field. */
export function parseFaultPlan(raw: unknown, source = 'fault plan'): FaultPlan {
  const parsed = FaultPlanSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new LanesError('validation', `${source}: ${issue.path.join('.') || '(root)'}: ${issue.message}`,
    `A fault plan is a JSON array of {point, fault, class?, delayMs?, times?, laneId?, match?}; points: ${KILL_POINTS.join(', ')}.`);
}

export function readFaultPlanFile(file: string): FaultPlan {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new LanesError('not_found', `fault plan ${path} cannot be read: ${(e as Error).message}`, 'Pass an existing JSON file to --fault-plan (or LANES_FAULT_PLAN).');
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new LanesError('validation', `fault plan ${path} is not valid JSON: ${(e as Error).message}`, 'Fix the JSON in the fault plan file.');
  }
  return parseFaultPlan(raw, `fault plan ${path}`);
}

/**
 * The plan a worker runs with: the `--fault-plan` flag wins over LANES_FAULT_PLAN;
 * neither set means no faults (the normal case), returned as null.
 */
export function loadWorkerFaultPlan(opts: { flag?: string; env?: NodeJS.ProcessEnv } = {}): { file: string; plan: FaultPlan } | null {
  const file = opts.flag ?? (opts.env ?? process.env)[FAULT_PLAN_ENV];
  if (file === undefined || file === '') return null;
  return { file: resolve(file), plan: readFaultPlanFile(file) };
}
