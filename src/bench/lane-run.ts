// The benchmark's lane: the one-line fix of the calculator fixture (two model
// turns against the mock model over HTTP, one write, `node --test`, commit,
// candidate merge, fast-forward, closeout), and the checks that it did exactly
// that once. Its candidate is the tested tree, so by default it is not tested
// again; `retestCandidate: 'always'` runs `node --test` on it as well.
import { join } from 'node:path';
import { normalizePacket, submitLane, waitForReport, type LanePacket } from '../client/lanes.js';
import { validatePacket } from '../packet/parse.js';
import { CALCULATOR_FIX, createFixtureRepo, type FixtureRepo } from '../demo/fixture-repo.js';
import type { LaneReport } from '../workflows/lane/api.js';
import type { BenchStack } from './stack.js';

export const TEST_COMMAND = 'node --test test/';

/** Turn 0 writes the fix, turn 1 says done: the lane's two model requests. */
export const FIX_SCRIPT = [
  { text: 'Adding multiply.', toolCalls: [{ name: 'write_file', input: { path: 'src/math.js', content: CALCULATOR_FIX } }] },
  { text: 'Done: multiply is in src/math.js and the tests pass.' },
];

export interface BenchLane {
  id: string;
  scenario: string;
  repo: FixtureRepo;
  packet: LanePacket;
}

export async function prepareLane(stack: BenchStack, id: string, opts: { retestCandidate?: 'when-changed' | 'always' } = {}): Promise<BenchLane> {
  const scenario = `bench-${id}`;
  const repo = await createFixtureRepo(join(stack.reposDir, id));
  stack.mock.script(scenario, FIX_SCRIPT);
  const packet = validatePacket({
    id,
    objective: `Add multiply(a, b) to src/math.js so the tests pass. [[mock:${scenario}]]`,
    repo: { path: repo.path, baseBranch: 'main' },
    acceptance: { targeted: [TEST_COMMAND], requiredLevel: 'merge_ready', timeoutMs: 120_000 },
    agent: { provider: 'anthropic', model: 'claude-sonnet-4-5', maxTurns: 6 },
    ...(opts.retestCandidate ? { merge: { retestCandidate: opts.retestCandidate } } : {}),
  });
  return { id, scenario, repo, packet: normalizePacket(packet, stack.reposDir) };
}

export interface LaneRun {
  id: string;
  /** Client-side: submit call to report in hand. */
  wallMs: number;
  /** The lane's own `timings.durationMs`. */
  reportMs: number;
  submittedAt: number;
  finishedAt: number;
  report: LaneReport;
}

export async function runLane(stack: BenchStack, lane: BenchLane): Promise<LaneRun> {
  const submittedAt = Date.now();
  await submitLane(stack.client, stack.taskQueue, lane.packet);
  const report = await waitForReport(stack.client, lane.id);
  const finishedAt = Date.now();
  return { id: lane.id, wallMs: finishedAt - submittedAt, reportMs: report.timings.durationMs, submittedAt, finishedAt, report };
}

/** What must hold after a lane (or the floor script) ran once: one fix, one merge. */
export async function checkLanded(repo: FixtureRepo, what: string, opts: { laneStep?: string } = {}): Promise<string[]> {
  const problems: string[] = [];
  const merges = Number(await repo.git('rev-list', '--count', '--merges', 'main'));
  if (merges !== 1) problems.push(`${what}: ${merges} merge commits on main (expected 1)`);
  const file = await repo.git('show', 'main:src/math.js');
  if (file !== CALCULATOR_FIX.trimEnd()) problems.push(`${what}: main:src/math.js is not the fix`);
  if (opts.laneStep) {
    const commits = Number(await repo.git('rev-list', '--count', '--grep', `Lane-Step: ${opts.laneStep}`, 'main'));
    if (commits !== 1) problems.push(`${what}: ${commits} commits for step ${opts.laneStep} on main (expected 1)`);
  }
  return problems;
}

/**
 * `killed`: the worker may have been SIGKILLed during the lane (kill storm). A test run retried after a
 * kill may have left files in the worktree, so the lane then rightly retests its candidate.
 */
export async function checkLane(run: LaneRun, lane: BenchLane, opts: { killed?: boolean } = {}): Promise<string[]> {
  const r = run.report;
  const problems: string[] = [];
  // The benchmark's lane always lands its tested tree on an unmoved target: reused unless the packet says always.
  const retest = lane.packet.merge?.retestCandidate === 'always';
  const either = opts.killed && !retest && r.candidate !== undefined;
  if (r.landed && !either && r.candidate?.retested !== retest) problems.push(`lane ${lane.id}: candidate ${r.candidate?.retested ? 'retested' : 'not retested'} (${r.candidate?.reason ?? 'no candidate record'}), expected ${retest ? 'retested' : 'reused'}`);
  if (r.state !== 'finished' || !r.landed) problems.push(`lane ${lane.id}: ${r.state}${r.failureClass ? ` (${r.failureClass})` : ''}, landed=${r.landed}: ${r.detail}`);
  const steps = r.commits.map((c) => c.step).join(',');
  if (steps !== 'work-1') problems.push(`lane ${lane.id}: commits ${steps || 'none'} (expected work-1)`);
  return [...problems, ...(await checkLanded(lane.repo, `lane ${lane.id}`, { laneStep: 'work-1' }))];
}

/** Model requests per turn for one lane's scenario (a turn asked twice shows up as 2). */
export function turnRequests(stack: BenchStack, scenario: string): { turn: number; at: number[] }[] {
  const byTurn = new Map<number, number[]>();
  for (const r of stack.mock.requests) {
    if (r.scenario !== scenario) continue;
    const list = byTurn.get(r.turn) ?? [];
    list.push(r.seq);
    byTurn.set(r.turn, list);
  }
  return [...byTurn.entries()].map(([turn, at]) => ({ turn, at }));
}
