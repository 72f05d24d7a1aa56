// The run scheduler: plan and task states in, the next batch out. Pure and deterministic
// (plan order breaks ties), so the run workflow can call it and tests can table it.
// Rules: a task starts only when every dependency has landed; never together with a task
// whose locks conflict (write/write, read/write); at most maxParallel at once; a task whose
// dependency failed or was skipped is skipped with the reason, transitively.
import { locksConflict, type TaskLocks } from './locks.js';

export const TASK_STATUSES = ['pending', 'running', 'landed', 'reused', 'failed', 'skipped'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export interface SchedTask {
  id: string;
  dependsOn: readonly string[];
  locks: TaskLocks;
}

export interface SchedulerInput {
  tasks: readonly SchedTask[];
  status: Readonly<Record<string, TaskStatus>>;
  maxParallel: number;
  /** A run-level gate (budget, doctor, cancel) stopped new starts. */
  stopStarting?: boolean;
}

export interface SchedulerDecision {
  start: string[];
  skip: { taskId: string; reason: string; dependency: string }[];
}

const isDone = (s: TaskStatus | undefined) => s === 'landed' || s === 'reused';
const isDead = (s: TaskStatus | undefined) => s === 'failed' || s === 'skipped';

export function nextTasks({ tasks, status, maxParallel, stopStarting = false }: SchedulerInput): SchedulerDecision {
  const st: Record<string, TaskStatus> = { ...status };
  const skip: SchedulerDecision['skip'] = [];
  // Skips propagate down chains, so repeat until nothing changes.
  for (let changed = true; changed; ) {
    changed = false;
    for (const t of tasks) {
      if (st[t.id] !== 'pending') continue;
      const dead = t.dependsOn.find((d) => isDead(st[d]));
      if (dead) {
        st[t.id] = 'skipped';
        skip.push({ taskId: t.id, dependency: dead, reason: `dependency ${dead} ${st[dead] === 'failed' ? 'failed' : 'was skipped'}` });
        changed = true;
      }
    }
  }
  const start: string[] = [];
  if (stopStarting) return { start, skip };
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const busy = tasks.filter((t) => st[t.id] === 'running');
  let room = maxParallel - busy.length;
  for (const t of tasks) {
    if (room <= 0) break;
    if (st[t.id] !== 'pending') continue;
    if (!t.dependsOn.every((d) => isDone(st[d]))) continue;
    if (busy.some((b) => locksConflict(b.locks, t.locks))) continue;
    busy.push(byId.get(t.id)!);
    start.push(t.id);
    room -= 1;
  }
  return { start, skip };
}

/**
 * The batches a plan runs in when every task lands: what `lanes plan validate` shows and
 * what the run does when nothing fails. Throws if the plan cannot finish (a cycle).
 */
export function planBatches(tasks: readonly SchedTask[], maxParallel: number): string[][] {
  const status: Record<string, TaskStatus> = Object.fromEntries(tasks.map((t) => [t.id, 'pending' as TaskStatus]));
  const batches: string[][] = [];
  while (tasks.some((t) => status[t.id] === 'pending')) {
    const { start } = nextTasks({ tasks, status, maxParallel });
    if (start.length === 0) throw new Error(`tasks ${tasks.filter((t) => status[t.id] === 'pending').map((t) => t.id).join(', ')} can never start (dependency cycle?)`);
    for (const id of start) status[id] = 'landed';
    batches.push(start);
  }
  return batches;
}
