// Orphaned activity attempts. When a worker process dies (SIGKILL, OOM, power),
// Temporal learns that its running activities are gone only when their heartbeat
// or start-to-close timeout expires — minutes for git and model steps. So each
// worker records the task token of every activity it runs, and a worker starting
// on the same host fails the attempts whose process is dead: the server retries
// them at once (per the activity's retry policy) instead of waiting the timeout.
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { mkdir, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ActivityNotFoundError, AsyncCompletionClient, type ConnectionLike } from '@temporalio/client';
import type { Context as ActivityContext } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { isAlive, processStartTime } from '../shell/processes.js';
import { laneFailure } from '../failures.js';

export const InflightRecordSchema = z.object({
  /** Base64 task token of the attempt. */
  taskToken: z.string(),
  activityType: z.string(),
  activityId: z.string(),
  workflowId: z.string(),
  attempt: z.number(),
  pid: z.number().int(),
  /** /proc start time of `pid`, so a reused pid is not mistaken for the worker. */
  pidStartTime: z.string().optional(),
  startedAt: z.string(),
});
export type InflightRecord = z.infer<typeof InflightRecordSchema>;

/** `$LANES_HOME/hosts/<hostId>/inflight/`: one file per running activity attempt. */
export function inflightDir(home: string, hostId: string): string {
  return join(home, 'hosts', hostId.replace(/[^A-Za-z0-9._-]/g, '_'), 'inflight');
}

/** `$LANES_HOME/hosts/<hostId>/pgroups/`: one file per running test/bash process group. */
export function processGroupsDir(home: string, hostId: string): string {
  return join(home, 'hosts', hostId.replace(/[^A-Za-z0-9._-]/g, '_'), 'pgroups');
}

let seq = 0;
const selfStartTime = processStartTime(process.pid);

/**
 * Writes a record with one plain write on libuv's threadpool. Neither fsynced nor written
 * through a temp file: the record has to outlive this process, not the machine (after a
 * power loss its absence costs a heartbeat timeout), and the reaper drops a torn record
 * without acting on it. Synchronous writes here (open, write, rename per activity, and a
 * recursive rm after it) were ~2 s of the worker's main thread in a 50-lane run.
 */
async function writeRecord(dir: string, file: string, text: string): Promise<void> {
  try {
    await writeFile(file, text);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    await mkdir(dir, { recursive: true });
    await writeFile(file, text);
  }
}

/** Records each activity attempt in `dir` while it runs (removed when it settles). */
export function inflightInterceptor(dir: string): ActivityInterceptorsFactory {
  return (ctx: ActivityContext) => ({
    inbound: {
      async execute(input, next) {
        const info = ctx.info;
        const file = join(dir, `${process.pid}-${++seq}.json`);
        const record: InflightRecord = {
          taskToken: info.base64TaskToken,
          activityType: info.activityType,
          activityId: info.activityId,
          workflowId: info.workflowExecution?.workflowId ?? '',
          attempt: info.attempt,
          pid: process.pid,
          ...(selfStartTime ? { pidStartTime: selfStartTime } : {}),
          startedAt: new Date().toISOString(),
        };
        // On disk (page cache) before the activity runs, so a crash from here on is reaped.
        // Best effort: without the record a crash costs a timeout, not correctness.
        await writeRecord(dir, file, JSON.stringify(record)).catch(() => undefined);
        try {
          return await next(input);
        } finally {
          // Off the event loop: a record left by a crash right here is reaped as stale.
          await unlink(file).catch(() => undefined);
        }
      },
    },
  });
}

function ownerIsDead(r: InflightRecord): boolean {
  if (r.pid === process.pid) return false;
  if (!isAlive(r.pid)) return true;
  // Alive, but a different process that got the same pid number.
  return r.pidStartTime !== undefined && processStartTime(r.pid) !== r.pidStartTime;
}

/** Retry delay after a reaped attempt: the worker that should run it is up now. */
export const REAPED_RETRY_DELAY_MS = 100;

/**
 * The failure a reaped attempt ends with: class infra (retryable) like laneFailure builds,
 * plus a short nextRetryDelay so the retry does not wait the policy's initial interval.
 */
function orphanFailure(r: InflightRecord): ApplicationFailure {
  const base = laneFailure('infra', `worker process ${r.pid} died while running ${r.activityType} (attempt ${r.attempt}) for ${r.workflowId}; retrying on a live worker`, {
    hint: 'Nothing to do: the step is retried from its recorded state.',
    deadPid: r.pid,
  });
  return ApplicationFailure.create({ message: base.message, type: base.type ?? 'infra', details: base.details ? [...base.details] : [], nonRetryable: false, nextRetryDelay: REAPED_RETRY_DELAY_MS });
}

export interface ReapResult {
  /** Attempts failed so the server retries them now. */
  failed: { activityType: string; workflowId: string; attempt: number; deadPid: number }[];
  /** Records whose attempt had already ended (completed, timed out or retried). */
  stale: number;
}

/**
 * Fails (retryably, class infra) every recorded attempt whose worker process is
 * dead, then forgets it; the workflows involved lose their stickiness to the dead
 * worker. Attempts of live workers on the host are left alone.
 */
export async function reapOrphanedActivities(opts: { dir: string; connection: ConnectionLike; namespace: string }): Promise<ReapResult> {
  const result: ReapResult = { failed: [], stale: 0 };
  let names: string[];
  try {
    names = readdirSync(opts.dir).filter((n) => n.endsWith('.json'));
  } catch {
    return result;
  }
  const client = new AsyncCompletionClient({ connection: opts.connection, namespace: opts.namespace });
  const unstuck = new Set<string>();
  for (const name of names) {
    const file = join(opts.dir, name);
    let r: InflightRecord;
    try {
      // A torn or corrupt record names no attempt we could fail safely: drop it, never act on it.
      r = InflightRecordSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
    } catch {
      rmSync(file, { force: true });
      continue;
    }
    if (!ownerIsDead(r)) continue;
    if (r.workflowId && !unstuck.has(r.workflowId)) {
      unstuck.add(r.workflowId);
      // The lane's next decision would wait on the dead worker's sticky queue: send it to the shared queue now.
      await opts.connection.workflowService
        .resetStickyTaskQueue({ namespace: opts.namespace, execution: { workflowId: r.workflowId } })
        .catch(() => undefined);
    }
    try {
      await client.fail(Buffer.from(r.taskToken, 'base64'), orphanFailure(r));
      result.failed.push({ activityType: r.activityType, workflowId: r.workflowId, attempt: r.attempt, deadPid: r.pid });
    } catch (err) {
      // Any other error (server unreachable): keep the record for the next start.
      if (!(err instanceof ActivityNotFoundError)) continue;
      // The attempt already completed, timed out or was retried elsewhere.
      result.stale += 1;
    }
    rmSync(file, { force: true });
  }
  return result;
}
