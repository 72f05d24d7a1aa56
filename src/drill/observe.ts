// Reading the world after a drilled lane: git state of the fixture repo, processes
// left alive, the lane's event file, and activity start times from workflow history.
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { execa } from 'execa';
import { LANE_LOG_FORMAT, type LaneCommit, parseLaneLog } from '../git/trailers.js';
import { isAlive } from '../shell/processes.js';

async function git(repo: string, args: string[]): Promise<string> {
  return (await execa('git', args, { cwd: repo })).stdout;
}

export interface GitFacts {
  targetCommits: LaneCommit[];
  targetMerges: number;
  leftoverWorktrees: string[];
  leftoverCandidateBranches: string[];
}

export async function gitFacts(repo: string, home: string, baseHead: string, target: string): Promise<GitFacts> {
  const log = await git(repo, ['log', '-z', `--format=${LANE_LOG_FORMAT}`, `${baseHead}..${target}`]);
  const merges = Number((await git(repo, ['rev-list', '--merges', '--count', `${baseHead}..${target}`])).trim());
  const porcelain = await git(repo, ['worktree', 'list', '--porcelain']);
  const registered = porcelain
    .split('\n')
    .filter((l) => l.startsWith('worktree '))
    .map((l) => l.slice('worktree '.length))
    .slice(1);
  const wtDir = join(home, 'worktrees');
  const folders = existsSync(wtDir) ? readdirSync(wtDir).map((n) => join(wtDir, n)) : [];
  const candidates = (await git(repo, ['for-each-ref', '--format=%(refname:short)', 'refs/heads/lanes-candidate/'])).split('\n').filter(Boolean);
  return {
    targetCommits: parseLaneLog(log),
    targetMerges: merges,
    leftoverWorktrees: [...new Set([...registered, ...folders])],
    leftoverCandidateBranches: candidates,
  };
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return '';
  }
}

/**
 * Live processes that belong to a drilled lane: working in `home` (worktrees) or
 * naming it on their command line, plus the recorded MCP server pids. The worker
 * processes themselves (`exclude`) are not orphans. Linux /proc only.
 */
export function laneProcesses(home: string, opts: { exclude: number[]; recordedPids: number[] }): { pid: number; cmd: string }[] {
  const out = new Map<number, string>();
  const skip = new Set([process.pid, ...opts.exclude]);
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    /* not Linux: only the recorded pids are checked */
  }
  for (const entry of entries) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || skip.has(pid)) continue;
    let cwd = '';
    try {
      cwd = readlinkSync(`/proc/${pid}/cwd`);
    } catch {
      continue;
    }
    const cmd = cmdline(pid);
    if ((cwd === home || cwd.startsWith(`${home}/`) || cmd.includes(home)) && isAlive(pid)) out.set(pid, cmd);
  }
  for (const pid of opts.recordedPids) if (!skip.has(pid) && isAlive(pid)) out.set(pid, cmdline(pid));
  return [...out].map(([pid, cmd]) => ({ pid, cmd }));
}

/** Pids a fixture appended to its spawn log, one per line. */
export function readPidLog(file: string): number[] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number).filter(Number.isInteger);
  } catch {
    return [];
  }
}

export function readJsonLines(file: string): unknown[] {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as unknown);
  } catch {
    return [];
  }
}

export interface ActivityStart {
  activityType: string;
  attempt: number;
  startedAtMs: number;
}

function timestampMs(ts: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  if (!ts) return 0;
  return Number(ts.seconds ?? 0) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6);
}

export interface HistoryStarts {
  /** Activity attempts that completed (or failed), by start time. */
  activities: ActivityStart[];
  /** Start times of workflow tasks (the lane's decisions), ascending. */
  workflowTasksMs: number[];
}

/** When activity attempts and workflow tasks started, from workflow history. */
export async function historyStarts(client: Client, workflowId: string): Promise<HistoryStarts> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const typeBySchedule = new Map<string, string>();
  const out: ActivityStart[] = [];
  const workflowTasksMs: number[] = [];
  for (const e of history.events ?? []) {
    if (e.workflowTaskStartedEventAttributes) workflowTasksMs.push(timestampMs(e.eventTime));
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) typeBySchedule.set(String(e.eventId), scheduled.activityType?.name ?? '?');
    const started = e.activityTaskStartedEventAttributes;
    if (started) {
      out.push({ activityType: typeBySchedule.get(String(started.scheduledEventId)) ?? '?', attempt: started.attempt ?? 1, startedAtMs: timestampMs(e.eventTime) });
    }
  }
  return { activities: out.sort((a, b) => a.startedAtMs - b.startedAtMs), workflowTasksMs: workflowTasksMs.sort((a, b) => a - b) };
}

/**
 * Steps that run beside the lane's step and may be retried first after a kill: the events write
 * (beside the next step) and the landing's three reads (beside the last test run, landing-checks.ts).
 */
const BESIDE_THE_STEP = new Set(['recordEvents', 'branchStatus', 'scopeCheck', 'screenDiff']);

/**
 * The lane's step that started first after `afterMs` (the kill): where the lane resumed. What runs
 * beside a step (BESIDE_THE_STEP) is not the step it resumed with, so it counts only when nothing
 * else started after the kill.
 */
export function firstStartAfter(starts: ActivityStart[], afterMs: number): ActivityStart | undefined {
  const after = starts.filter((s) => s.startedAtMs > afterMs);
  return after.find((s) => !BESIDE_THE_STEP.has(s.activityType)) ?? after[0];
}
