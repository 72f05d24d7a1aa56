// Making sure processes (MCP servers, test and tool commands) are really gone: SIGTERM, a short grace,
// SIGKILL, then verification with kill(pid, 0). Servers started through
// wrappers (npx, sh -c) leave their real work in grandchildren, so the process
// tree is snapshotted (Linux /proc) before the parent is asked to exit.
import { readFileSync, readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const POLL_MS = 25;

/** Linux /proc/<pid>/stat fields after the parenthesised command name. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/**
 * Whether `pid` is a running process. A zombie counts as dead: it has exited
 * and only waits for its parent (or init) to reap it.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  return statFields(pid)?.[0] !== 'Z';
}

/**
 * The process start time (clock ticks since boot), used to tell a recorded pid
 * from an unrelated process that later got the same number. Undefined off Linux.
 */
export function processStartTime(pid: number): string | undefined {
  return statFields(pid)?.[19];
}

/** Every descendant of `pid` (children, grandchildren, ...). Empty where /proc is unavailable. */
export function descendantPids(pid: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const children = new Map<number, number[]>();
  for (const entry of entries) {
    const child = Number(entry);
    if (!Number.isInteger(child)) continue;
    const ppid = Number(statFields(child)?.[1]);
    if (!Number.isInteger(ppid)) continue;
    const list = children.get(ppid) ?? [];
    list.push(child);
    children.set(ppid, list);
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      out.push(child);
      queue.push(child);
    }
  }
  return out;
}

/** Resolves true once every pid is dead, or false when `timeoutMs` passes first. */
export async function waitForExit(pids: readonly number[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (pids.every((pid) => !isAlive(pid))) return true;
    if (Date.now() >= deadline) return false;
    await sleep(POLL_MS);
  }
}

function signal(pids: readonly number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      // Already gone (ESRCH) or not ours (EPERM): nothing more we can do.
    }
  }
}

/**
 * SIGTERM the live pids, wait up to `graceMs`, SIGKILL whatever remains and
 * wait again. Returns the pids still alive afterwards (normally none).
 */
export async function terminateProcesses(pids: readonly number[], graceMs = 1_000): Promise<number[]> {
  const live = pids.filter(isAlive);
  if (live.length === 0) return [];
  signal(live, 'SIGTERM');
  if (await waitForExit(live, graceMs)) return [];
  const stubborn = live.filter(isAlive);
  signal(stubborn, 'SIGKILL');
  await waitForExit(stubborn, Math.max(graceMs, 1_000));
  return stubborn.filter(isAlive);
}
