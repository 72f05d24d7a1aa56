// 3. resume under kill storms: M SIGKILLs of the worker at random moments while N
// lanes run; the worker is restarted at once on the same host (like a supervisor).
// Afterwards every lane must have landed exactly once, and a model turn may have
// been asked twice only when a kill fell inside that turn (the mid-turn window:
// the provider answered, the activity had not completed).
import { checkLane, prepareLane, runLane, type BenchLane } from './lane-run.js';
import type { BenchStack, WorkerProc } from './stack.js';

export interface KillStorm {
  lanes: number;
  kills: number;
  wallMs: number;
  /** Turns asked more than once with a kill inside the turn (allowed). */
  repeatedTurnsInWindow: number;
  /** Turns asked more than once with no kill inside (a bug; fails the run). */
  repeatedTurnsOutsideWindow: number;
  /** Worst time from a kill to the next event of a lane that was running. */
  worstKillToNextStepMs: number;
  /** Same, counted from when the restarted worker was ready. */
  worstReadyToNextStepMs: number;
  /** Lanes that waited more than 30 s after the worker was back. */
  lanesWaitingOver30s: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function killStorm(stack: BenchStack, n: number, kills: number, problems: string[]): Promise<KillStorm> {
  const lanes: BenchLane[] = [];
  for (let i = 0; i < n; i++) lanes.push(await prepareLane(stack, `storm-${i}`));
  let worker: WorkerProc = await stack.startWorker('storm');
  const restarts: { killedAt: number; readyAt: number }[] = [];
  const t0 = Date.now();
  let done = false;
  const all = Promise.all(lanes.map((l) => runLane(stack, l))).finally(() => (done = true));
  for (let k = 0; k < kills && !done; k++) {
    // A random moment 0.3-3 s after the worker is up: inside any step, or between steps.
    // The first one within 1 s of the submits: a lane takes longer than that even on an idle
    // machine, so a small run (the CI smoke: 2 lanes, 1 kill) cannot finish before its kill.
    await sleep(300 + Math.random() * (k === 0 ? 700 : 2_700));
    if (done) break;
    const killedAt = Date.now();
    await stack.stopWorker(worker, 'SIGKILL');
    worker = await stack.startWorker('storm');
    restarts.push({ killedAt, readyAt: worker.readyAt });
  }
  const runs = await all;
  const wallMs = Date.now() - t0;
  await stack.stopWorker(worker);
  if (restarts.length < kills) problems.push(`kill storm: the lanes finished after ${restarts.length} of ${kills} kills (use more lanes)`);

  // The checks read lane state through queries: a worker must be up to answer them.
  const checker = await stack.startWorker('storm');
  let inWindow = 0;
  let outside = 0;
  let worstKill = 0;
  let worstReady = 0;
  let waiting = 0;
  for (let i = 0; i < n; i++) {
    const lane = lanes[i]!;
    problems.push(...(await checkLane(runs[i]!, lane, { killed: true })));
    const log = await stack.client.workflow.getHandle(`lane-${lane.id}`).query<{ type: string; ts: string; data: Record<string, unknown> }[], [number]>('events', 0);
    const events = log.map((e) => Date.parse(e.ts));
    // Repeated model turns: allowed only when a kill fell between the ask and the repeat,
    // before the turn was recorded complete (mock turn t is the lane's turn t + 1).
    const asks = new Map<number, number[]>();
    for (const r of stack.mock.requests) if (r.scenario === lane.scenario) asks.set(r.turn, [...(asks.get(r.turn) ?? []), r.receivedAt]);
    for (const [turn, at] of asks) {
      if (at.length < 2) continue;
      const completed = log.find((e) => e.type === 'lane.turn.completed' && e.data.turn === turn + 1);
      const completedAt = completed ? Date.parse(completed.ts) : Infinity;
      const explained = at.slice(1).every((t, j) => restarts.some((r) => r.killedAt >= at[j]! && r.killedAt <= t && r.killedAt <= completedAt));
      if (explained) inWindow += 1;
      else {
        outside += 1;
        problems.push(`kill storm: lane ${lane.id} asked turn ${turn} ${at.length} times without a kill inside the turn`);
      }
    }
    // Gap from each kill to the lane's next event (the last kill before that event counts).
    let laneWaited = false;
    for (let k = 0; k < restarts.length; k++) {
      const r = restarts[k]!;
      const next = events.find((t) => t > r.killedAt);
      if (next === undefined || events[0]! > r.killedAt) continue;
      if (restarts[k + 1] && restarts[k + 1]!.killedAt < next) continue;
      worstKill = Math.max(worstKill, next - r.killedAt);
      worstReady = Math.max(worstReady, next - r.readyAt);
      if (next - r.readyAt > 30_000) laneWaited = true;
    }
    if (laneWaited) waiting += 1;
  }
  await stack.stopWorker(checker);
  return {
    lanes: n,
    kills: restarts.length,
    wallMs,
    repeatedTurnsInWindow: inWindow,
    repeatedTurnsOutsideWindow: outside,
    worstKillToNextStepMs: worstKill,
    worstReadyToNextStepMs: worstReady,
    lanesWaitingOver30s: waiting,
  };
}
