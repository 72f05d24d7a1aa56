// Helpers for run tests: scripted task packets, a fixture repo with a doctor, starting a
// plan through the built CLI, and reading the run's persisted events.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { expect } from 'vitest';
import { laneCommitsIn } from '../../src/git/refs.js';
import { LAND_STEP } from '../../src/git/trailers.js';
import type { FixtureRepo } from '../../src/demo/fixture-repo.js';
import type { RunReport } from '../../src/workflows/run/api.js';
import { type RunEvent, runEventJsonSchema } from '../../src/workflows/run/events.js';
import type { LaneStack } from './lane-stack.js';

/** The doctor: fails under the canary, and fails if any note lacks "ok". */
export const CHECK_SH = '[ -n "$LANES_CANARY" ] && exit 1\nfor f in notes/*.txt; do [ -e "$f" ] || continue; grep -q ok "$f" || { echo "bad note $f"; exit 1; }; done\nexit 0\n';

export const RUN_FIXTURE_FILES: Record<string, string> = {
  'README.md': '# run fixture\n',
  'check.sh': CHECK_SH,
  'notes/keep.md': 'notes live here\n',
};

export function runFixture(stack: LaneStack, name: string): Promise<FixtureRepo> {
  return stack.fixture(name, { files: RUN_FIXTURE_FILES });
}

/** A scripted task that writes `content` to `file` and proves it with a targeted test. */
export function writeTask(file: string, content: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    objective: `write ${file}`,
    acceptance: { targeted: [`test -f ${file}`], requiredLevel: 'merge_ready', timeoutMs: 30_000 },
    agent: { provider: 'scripted', model: 'script', script: [{ toolCalls: [{ name: 'write_file', input: { path: file, content: `${content}\n` } }] }, { text: 'done' }] },
    ...extra,
  };
}

export function basePlan(id: string, repo: FixtureRepo, tasks: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    repo: { path: repo.path },
    maxParallel: 3,
    doctor: { commands: ['sh check.sh'], timeoutMs: 30_000 },
    // Blocked lanes give up fast: a run test never waits a day for an operator.
    defaults: { escalation: { timeoutMs: 1_500, recoveryAttempts: 0 } },
    tasks,
    ...extra,
  };
}

const validateEvent = new Ajv2020({ strict: false, validateFormats: false }).compile(runEventJsonSchema());

/** The run's events.jsonl: every line valid against the shipped schema, seq gap-free from 1. */
export function runEvents(stack: LaneStack, runId: string): RunEvent[] {
  const file = join(stack.home, 'runs', runId, 'events.jsonl');
  expect(existsSync(file), file).toBe(true);
  const events = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as RunEvent);
  events.forEach((e, i) => {
    expect(validateEvent(e), JSON.stringify(validateEvent.errors)).toBe(true);
    expect(e.seq).toBe(i + 1);
    expect(e.runId).toBe(runId);
  });
  return events;
}

export async function runPlan(stack: LaneStack, name: string, plan: unknown, args: string[] = ['--wait']): Promise<{ exitCode: number; report: RunReport; stderr: string }> {
  const file = stack.writePacket(name, plan);
  const r = await stack.cli(['--json', 'run', file, ...args], { timeoutMs: 300_000 });
  let report: RunReport;
  try {
    report = r.json<RunReport>();
  } catch {
    throw new Error(`lanes run printed no JSON (exit ${r.exitCode}): ${r.stdout}\n${r.stderr}`);
  }
  return { exitCode: r.exitCode, report, stderr: r.stderr };
}

export const eventOf = (events: RunEvent[], type: RunEvent['type'], taskId: string): RunEvent => {
  const e = events.find((x) => x.type === type && x.taskId === taskId);
  expect(e, `${type} of ${taskId}`).toBeDefined();
  return e!;
};

/** [started, ended] of a task from its run events. */
export function interval(events: RunEvent[], taskId: string): [number, number] {
  const start = Date.parse(eventOf(events, 'task.started', taskId).ts);
  const end = events.find((x) => (x.type === 'task.landed' || x.type === 'task.failed') && x.taskId === taskId);
  expect(end, `end of ${taskId}`).toBeDefined();
  return [start, Date.parse(end!.ts)];
}

/** Lane ids whose land commit (trailers Lane-Id + Lane-Step: land) is reachable from `ref`. */
export async function landedLanes(repo: FixtureRepo, ref: string): Promise<string[]> {
  return (await laneCommitsIn(repo.path, ref, LAND_STEP)).filter((c) => c.step === LAND_STEP).map((c) => c.laneId!);
}
