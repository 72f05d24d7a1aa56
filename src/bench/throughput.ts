// 2. throughput: N lanes submitted at once from one client process against one
// worker, then against two workers on two host queues.
import { checkLane, prepareLane, runLane, type BenchLane } from './lane-run.js';
import { cpuCount, cpuMeter, samplePeakRss, withHelpers } from './proc-stats.js';
import type { BenchStack } from './stack.js';
import { summarize, type Summary } from './stats.js';

export interface ThroughputRun {
  workers: number;
  lanes: number;
  wallMs: number;
  lanesPerMin: number;
  latency: Summary;
  /** Peak resident memory of all worker processes together, their helpers (git host) included. */
  workerPeakRssMb: number;
  /** The same without the helpers: the worker processes alone. */
  workerProcessPeakRssMb: number;
  /** Worker (and helper) CPU seconds / wall seconds (1.0 = one core busy). */
  workerCpuCores: number;
  /** Lanes each host ran (from the lane's state query). */
  perHost: Record<string, number>;
}

export async function throughput(stack: BenchStack, n: number, label: string, problems: string[]): Promise<ThroughputRun> {
  // Fixture repos are made before the clock starts: they are not the lanes' work.
  const lanes: BenchLane[] = [];
  for (let i = 0; i < n; i++) lanes.push(await prepareLane(stack, `${label}-${i}`));
  const pids = () => stack.workers.map((w) => w.pid);
  const cpu = cpuMeter(() => withHelpers(pids()));
  const cpuTimer = setInterval(() => cpu.sample(), 1_000);
  const rss = samplePeakRss(pids);
  const t0 = Date.now();
  const runs = await Promise.all(lanes.map((l) => runLane(stack, l)));
  const wallMs = Date.now() - t0;
  const peak = rss.stop();
  clearInterval(cpuTimer);
  cpu.sample();
  const perHost: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    problems.push(...(await checkLane(runs[i]!, lanes[i]!)));
    const st = await stack.client.workflow.getHandle(`lane-${lanes[i]!.id}`).query<{ hostQueue: string | null }>('state');
    const host = (st.hostQueue ?? 'none').split('@').pop()!.replace(`${stack.taskQueue}-`, '');
    perHost[host] = (perHost[host] ?? 0) + 1;
  }
  return {
    workers: stack.workers.length,
    lanes: n,
    wallMs,
    lanesPerMin: Math.round((n / (wallMs / 60_000)) * 10) / 10,
    latency: summarize(runs.map((r) => r.wallMs)),
    workerPeakRssMb: peak.withHelpers,
    workerProcessPeakRssMb: peak.alone,
    workerCpuCores: Math.round((cpu.seconds() / (wallMs / 1000)) * 100) / 100,
    perHost,
  };
}

export { cpuCount };
