// 1. floor vs lane: the plain-script baseline of the lane's exact steps against a
// Lanes lane, same fixture, same mock model over HTTP, same test command. The
// lane runs twice per round: as packets default (its candidate is the tested
// tree, not tested again) and with `merge.retestCandidate: always` (tested
// again, as the floor script does), so both ratios stand side by side.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { createFixtureRepo } from '../demo/fixture-repo.js';
import { activityProfile, activitySteps, type ActivityProfile, type LaneSteps } from './activity-profile.js';
import { checkLane, checkLanded, FIX_SCRIPT, prepareLane, runLane } from './lane-run.js';
import type { BenchStack } from './stack.js';
import { summarize, type Summary } from './stats.js';

export const FLOOR_SCRIPT = fileURLToPath(new URL('../../bench/floor.sh', import.meta.url));

export interface FloorVsLane {
  runs: number;
  floor: Summary;
  /** Client wall time: submit to report in hand. */
  lane: Summary;
  /** The lane's own report timings.durationMs (first event to report). */
  laneReport: Summary;
  /** lane median / floor median. */
  ratio: number;
  /** The same lane with `merge.retestCandidate: always`: its candidate runs the tests again, like the floor script's. */
  laneRetest: Summary;
  laneRetestReport: Summary;
  /** laneRetest median / floor median. */
  ratioRetest: number;
  /** Per-phase medians of the lane (ms between consecutive milestones), the profile. */
  phases: Record<string, number>;
  /** Per activity, medians over the runs: when scheduled, the gap before it, its run time. */
  activities: ActivityProfile;
}

/** Milestones of a lane, in order; a phase is the time from one to the next. */
const MILESTONES = ['lane.started', 'lane.ready', 'lane.prompt_accepted', 'lane.commit.created', 'lane.green', 'lane.merge.ready', 'lane.merged', 'lane.closeout', 'lane.finished'] as const;

export async function floorVsLane(stack: BenchStack, runs: number, problems: string[]): Promise<FloorVsLane> {
  // One lane first, not counted: the worker's first workflow pays its cold start.
  const warm = await prepareLane(stack, 'warmup');
  problems.push(...(await checkLane(await runLane(stack, warm), warm)));

  const floorMs: number[] = [];
  const laneMs: number[] = [];
  const laneReportMs: number[] = [];
  const phaseSamples = new Map<string, number[]>();
  const laneSteps: LaneSteps[] = [];
  const retestMs: number[] = [];
  const retestReportMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    // Alternate, so load from other processes on the machine hits both alike.
    const scenario = `floor-${i}`;
    stack.mock.script(scenario, FIX_SCRIPT);
    const repo = await createFixtureRepo(join(stack.reposDir, scenario));
    const t = performance.now();
    await execa('bash', [FLOOR_SCRIPT, repo.path, join(stack.root, `${scenario}.wt`), join(stack.root, `${scenario}.candidate`), stack.mock.url, scenario]);
    floorMs.push(performance.now() - t);
    problems.push(...(await checkLanded(repo, `floor run ${i}`)));

    const lane = await prepareLane(stack, `fl-${i}`);
    const run = await runLane(stack, lane);
    laneMs.push(run.wallMs);
    laneReportMs.push(run.reportMs);
    problems.push(...(await checkLane(run, lane)));
    for (const [phase, ms] of Object.entries(await lanePhases(stack, lane.id))) {
      phaseSamples.set(phase, [...(phaseSamples.get(phase) ?? []), ms]);
    }
    laneSteps.push(activitySteps((await stack.client.workflow.getHandle(`lane-${lane.id}`).fetchHistory()).events ?? []));

    const retest = await prepareLane(stack, `flr-${i}`, { retestCandidate: 'always' });
    const retestRun = await runLane(stack, retest);
    retestMs.push(retestRun.wallMs);
    retestReportMs.push(retestRun.reportMs);
    problems.push(...(await checkLane(retestRun, retest)));
  }
  const floor = summarize(floorMs);
  const lane = summarize(laneMs);
  const laneRetest = summarize(retestMs);
  const ratio = (s: Summary) => Math.round((s.medianMs / floor.medianMs) * 100) / 100;
  return {
    runs,
    floor,
    lane,
    laneReport: summarize(laneReportMs),
    ratio: ratio(lane),
    laneRetest,
    laneRetestReport: summarize(retestReportMs),
    ratioRetest: ratio(laneRetest),
    phases: Object.fromEntries([...phaseSamples.entries()].map(([k, v]) => [k, summarize(v).medianMs])),
    activities: activityProfile(laneSteps),
  };
}

/** ms between consecutive milestones of one lane, from its event log. */
export async function lanePhases(stack: BenchStack, laneId: string): Promise<Record<string, number>> {
  const events = await stack.client.workflow.getHandle(`lane-${laneId}`).query<{ type: string; ts: string }[], [number]>('events', 0);
  const at = new Map<string, number>();
  for (const e of events) if (!at.has(e.type)) at.set(e.type, Date.parse(e.ts));
  const out: Record<string, number> = {};
  let prev: { name: string; t: number } | undefined;
  for (const m of MILESTONES) {
    const t = at.get(m);
    if (t === undefined) continue;
    if (prev) out[`${prev.name} → ${m}`] = t - prev.t;
    prev = { name: m, t };
  }
  return out;
}
