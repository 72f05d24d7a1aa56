// Firing faults at kill points. A FaultInjector is built once by whoever starts the
// worker (the `lanes worker` command from --fault-plan / --allow-chaos, or a test) and
// handed to the activity factories; there is no process-wide plan. NO_FAULTS, the
// default everywhere, returns at once and touches nothing.
//
// Every firing is recorded in $LANES_HOME/faults/<laneId>/<point>.json, atomically
// and BEFORE the fault acts, so a crash at a point is counted even though the
// process dies; the restarted worker reads the record and lets the lane through.
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startHeartbeat } from '../activities/activity-context.js';
import { assertSafeSegment } from '../activities/artifacts.js';
import { writeFileAtomic } from '../atomic-file.js';
import { readPidFile } from '../mcp/pid-file.js';
import { isAlive, processStartTime } from '../shell/processes.js';
import { z } from 'zod';
import { laneFailure } from '../failures.js';
import { FAULT_KINDS, type FaultPlan, type FaultSpec, parseFaultPlan } from './plan.js';
import { KILL_POINTS, type KillPoint } from './points.js';

export interface FaultContext {
  /** The lane the activity works for; firings are counted per (lane, point). */
  laneId: string;
  /** $LANES_HOME, where firing records live. */
  home: string;
  /** The lane's repository, for faults that act on it (index_lock). */
  repoPath?: string;
  /** Anything else a plan's `match` may select on (tool name, level, turn...). */
  [key: string]: string | number | boolean | undefined;
}

export const FaultFiringSchema = z
  .object({
    /** Index of the plan entry that fired. */
    spec: z.number().int().nonnegative(),
    fault: z.enum(FAULT_KINDS),
    /** ISO time written just before the fault acted (for a crash: the kill time). */
    ts: z.string(),
    pid: z.number().int(),
  })
  .strict();
export type FaultFiring = z.infer<typeof FaultFiringSchema>;

/** $LANES_HOME/faults/<laneId>/<point>.json: how often each plan entry fired there. */
export const FaultFiringRecordSchema = z.object({ point: z.enum(KILL_POINTS), laneId: z.string(), firings: z.array(FaultFiringSchema) }).strict();
export type FaultFiringRecord = z.infer<typeof FaultFiringRecordSchema>;

export function chaosPlanPath(home: string, laneId: string): string {
  return join(home, 'faults', '.plans', `${laneId}.json`);
}

function readLanePlan(home: string, laneId: string): FaultPlan | null {
  let raw: string;
  try {
    raw = readFileSync(chaosPlanPath(home, laneId), 'utf8');
  } catch {
    return null;
  }
  return parseFaultPlan(JSON.parse(raw), chaosPlanPath(home, laneId));
}

export function faultRecordPath(home: string, laneId: string, point: KillPoint): string {
  return join(home, 'faults', laneId, `${point}.json`);
}

/**
 * The firing record at `path`, undefined when there is none. A corrupt record fails
 * clearly: guessing "never fired" would fire a crash again on every restart.
 */
function readRecord(path: string): FaultFiringRecord | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  let parsed: ReturnType<typeof FaultFiringRecordSchema.safeParse>;
  try {
    parsed = FaultFiringRecordSchema.safeParse(JSON.parse(text));
  } catch (err) {
    throw laneFailure('infra', `fault firing record ${path} is not valid JSON: ${(err as Error).message}`, { hint: 'Delete the record (the fault may then fire again) or restore it.' });
  }
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw laneFailure('infra', `fault firing record ${path} is corrupt: ${first?.path.join('.') || '(root)'}: ${first?.message ?? 'invalid'}`, { hint: 'Delete the record (the fault may then fire again) or restore it.' });
  }
  return parsed.data;
}

/** The firings recorded for one lane at one point (the drill reads these). */
export function readFaultFiring(home: string, laneId: string, point: KillPoint): FaultFiringRecord | undefined {
  return readRecord(faultRecordPath(home, laneId, point));
}

/** Every firing recorded for a lane, by point (the drill reads these). */
export function readFaultFirings(home: string, laneId: string): FaultFiringRecord[] {
  const dir = join(home, 'faults', laneId);
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  return names.map((n) => readRecord(join(dir, n))).filter((r): r is FaultFiringRecord => r !== undefined);
}

/**
 * Signals the lane's live MCP server processes as recorded by its session
 * (`lanes/<laneId>/mcp-pids.json`, the file src/activities/mcp.ts keeps); a pid whose
 * start time no longer matches is another process and is left alone.
 */
function signalMcpServers(home: string, laneId: string, signal: NodeJS.Signals): number[] {
  const hit: number[] = [];
  for (const r of readPidFile(join(home, 'lanes', laneId, 'mcp-pids.json'))) {
    if (!isAlive(r.pid) || (r.startTime !== undefined && processStartTime(r.pid) !== r.startTime)) continue;
    try {
      process.kill(r.pid, signal);
      hit.push(r.pid);
    } catch {
      /* gone meanwhile */
    }
  }
  return hit;
}

function applies(spec: FaultSpec, point: KillPoint, ctx: FaultContext): boolean {
  if (spec.point !== point) return false;
  if (spec.laneId !== undefined && spec.laneId !== ctx.laneId) return false;
  return Object.entries(spec.match ?? {}).every(([k, v]) => ctx[k] === v);
}

/** What activity factories receive: `point()` marks a kill point (see createFaultInjector). */
export interface FaultInjector {
  point(point: KillPoint, ctx: FaultContext): Promise<void>;
}

/** The injector of every ordinary worker: no plan, nothing fires, nothing is read. */
export const NO_FAULTS: FaultInjector = { point: () => Promise.resolve() };

export interface FaultInjectorOptions {
  /** A plan armed for every lane on this worker (`lanes worker --fault-plan`, drills). */
  plan?: FaultPlan | null;
  /**
   * `lanes worker --allow-chaos`: honour per-lane plans that a chaos run wrote to
   * $LANES_HOME/faults/.plans/<laneId>.json. Off by default, so no lane (and no
   * packet) can arm a fault on an ordinary worker.
   */
  chaosPlans?: boolean;
}

/** NO_FAULTS unless a plan is given or chaos plans are allowed. */
export function createFaultInjector({ plan = null, chaosPlans = false }: FaultInjectorOptions): FaultInjector {
  const armed = plan && plan.length > 0 ? plan : null;
  if (!armed && !chaosPlans) return NO_FAULTS;
  return {
    point(point, ctx) {
      assertSafeSegment('lane id', ctx.laneId);
      return firePoint(armed ?? readLanePlan(ctx.home, ctx.laneId), point, ctx);
    },
  };
}

/**
 * Marks a kill point under `plan` (null: a no-op). The first
 * plan entry for this point (and lane, and `match`) that has fired fewer than
 * `times` times for this lane is recorded and then acts:
 * crash = SIGKILL this process; exit = exit(1); throw = a laneFailure of the entry's
 * class (default infra); delay = sleep delayMs with heartbeats; enospc = an infra
 * failure with code ENOSPC; index_lock = a stale .git/index.lock in ctx.repoPath;
 * mcp_crash / mcp_hang = SIGKILL / SIGSTOP the lane's MCP server processes.
 */
async function firePoint(plan: FaultPlan | null, point: KillPoint, ctx: FaultContext): Promise<void> {
  if (!plan) return;
  const path = faultRecordPath(ctx.home, ctx.laneId, point);
  const record: FaultFiringRecord = readRecord(path) ?? { point, laneId: ctx.laneId, firings: [] };
  const index = plan.findIndex((spec, i) => applies(spec, point, ctx) && record.firings.filter((f) => f.spec === i).length < spec.times);
  if (index < 0) return;
  const spec = plan[index]!;
  record.firings.push({ spec: index, fault: spec.fault, ts: new Date().toISOString(), pid: process.pid });
  writeFileAtomic(path, `${JSON.stringify(record, null, 2)}\n`);

  const where = `fault plan entry ${index} at ${point} (lane ${ctx.laneId})`;
  switch (spec.fault) {
    case 'crash':
      process.kill(process.pid, 'SIGKILL');
      // SIGKILL cannot be caught; never let the activity go on while it lands.
      await new Promise<never>(() => {});
      return;
    case 'exit':
      process.exit(1);
      return;
    case 'throw':
      throw laneFailure(spec.class ?? 'infra', `injected failure: ${where}`, { injected: true, point, hint: 'A fault plan is armed on this worker (--fault-plan / LANES_FAULT_PLAN); remove it for normal operation.' });
    case 'delay': {
      const stop = startHeartbeat(() => ({ fault: 'delay', point }), 1_000);
      try {
        await sleep(spec.delayMs ?? 0);
      } finally {
        stop();
      }
      return;
    }
    case 'enospc': {
      const err = Object.assign(new Error(`ENOSPC: no space left on device, write (injected by ${where})`), { code: 'ENOSPC' });
      throw laneFailure('infra', `could not write the lane artifacts: ${err.message}`, { injected: true, point, code: 'ENOSPC', hint: 'Free disk space under $LANES_HOME; the step is retried.' }, err);
    }
    case 'mcp_crash':
    case 'mcp_hang': {
      signalMcpServers(ctx.home, ctx.laneId, spec.fault === 'mcp_crash' ? 'SIGKILL' : 'SIGSTOP');
      return;
    }
    case 'index_lock': {
      if (!ctx.repoPath) return;
      mkdirSync(join(ctx.repoPath, '.git'), { recursive: true });
      writeFileSync(join(ctx.repoPath, '.git', 'index.lock'), '');
      return;
    }
  }
}
