// Assertions over a lane's durable record (events, artifact folder, git), shared by
// the lane acceptance tests. Everything here reads real state; nothing is faked.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { type LaneEvent, LaneEventSchema } from '../../src/workflows/events.js';
import type { FixtureRepo } from '../../src/demo/fixture-repo.js';
import type { LaneStack } from './lane-stack.js';

/** A scripted agent turn (the mock model's script format). */
export interface MockTurn {
  text?: string;
  toolCalls?: { name: string; input: Record<string, unknown> }[];
}

export const laneDir = (stack: LaneStack, laneId: string) => join(stack.home, 'lanes', laneId);
export const worktreeDir = (stack: LaneStack, laneId: string) => join(stack.home, 'worktrees', laneId);

/** events.jsonl of a lane, parsed line by line. */
export function eventsFile(stack: LaneStack, laneId: string): LaneEvent[] {
  const text = readFileSync(join(laneDir(stack, laneId), 'events.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as LaneEvent);
}

/** Every event valid against LaneEventSchema, seq 1..n gap-free, for this lane, in time order. */
export function expectWellFormedEvents(events: readonly unknown[], laneId: string): LaneEvent[] {
  expect(events.length).toBeGreaterThan(0);
  const parsed = events.map((e, i) => {
    const r = LaneEventSchema.safeParse(e);
    if (!r.success) throw new Error(`event #${i + 1} is not a valid lanes.event/v1: ${r.error.message}\n${JSON.stringify(e)}`);
    return r.data;
  });
  expect(parsed.map((e) => e.seq)).toEqual(parsed.map((_, i) => i + 1));
  for (const e of parsed) expect(e.laneId).toBe(laneId);
  const times = parsed.map((e) => Date.parse(e.ts));
  expect(times).toEqual([...times].sort((a, b) => a - b));
  return parsed;
}

export async function mergeCount(repo: FixtureRepo, branch = repo.baseBranch): Promise<number> {
  const out = await repo.git('rev-list', '--merges', branch);
  return out.split('\n').filter(Boolean).length;
}

/** The Lane-Id and Lane-Step trailers of a commit (null when absent). */
export async function trailersOf(repo: FixtureRepo, sha: string): Promise<{ laneId: string | null; step: string | null }> {
  const read = async (key: string) => (await repo.git('log', '-1', `--format=%(trailers:key=${key},valueonly,unfold)`, sha)).trim() || null;
  return { laneId: await read('Lane-Id'), step: await read('Lane-Step') };
}

/** Polls `fn` until it returns something other than undefined, and returns that; throws naming `what` after the timeout. */
export async function pollUntil<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Polls `lanes status <id> --json` until `ok(status)`; returns the last status. */
export async function waitForStatus(stack: LaneStack, laneId: string, ok: (s: any) => boolean, timeoutMs = 60_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  let last: any;
  for (;;) {
    const r = await stack.cli(['status', laneId, '--json']);
    if (r.exitCode === 0) {
      last = r.json();
      if (ok(last)) return last;
    }
    if (Date.now() > deadline) throw new Error(`lane ${laneId} did not reach the expected status within ${timeoutMs} ms; last: ${JSON.stringify(last ?? r.stdout)}`);
    await new Promise((res) => setTimeout(res, 300));
  }
}

export function readJsonFile<T = any>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}
