// `npm run bench`: runs the benchmark sections against one stack and prints a
// readable table; the JSON report goes to bench/results/ (or stdout with --json).
// Exits 1 when anything it measured was wrong (a lane that did not land exactly
// once, a turn asked twice outside a kill, a CLI command that failed); it never
// judges times.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import { bigRepo } from './big-repo.js';
import { cliLatency, cliReadPath } from './cli-latency.js';
import { floorVsLane } from './floor-vs-lane.js';
import { killStorm } from './kill-storm.js';
import { renderTable } from './render.js';
import { sandboxCost } from './sandbox-cost.js';
import { startBenchStack } from './stack.js';
import { throughput } from './throughput.js';

export const SECTIONS = ['floor', 'cli', 'throughput', 'storm', 'bigrepo', 'sandbox'] as const;
type Section = (typeof SECTIONS)[number];

interface Flags {
  smoke?: boolean;
  address?: string;
  namespace?: string;
  runs?: number;
  lanes?: number;
  stormLanes?: number;
  kills?: number;
  files?: number;
  rounds?: number;
  sandboxRuns?: number;
  only?: Section[];
  json?: boolean;
  out?: string;
  keep?: boolean;
  workerNodeArgs?: string;
  secondWorker: boolean;
}

const positive = (flag: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${flag} must be a positive integer.`);
  return n;
};

export async function main(argv: string[]): Promise<number> {
  const program = new Command('npm run bench --')
    .description('Lanes benchmarks: floor vs lane, throughput, kill storms, CLI latency, big-repo setup (docs/performance.md)')
    .option('--smoke', 'tiny sizes for CI: checks every section works in seconds; figures mean little')
    .option('--address <host:port>', 'use this Temporal server instead of starting an embedded dev server')
    .option('--namespace <ns>', 'namespace on --address', 'default')
    .option('--runs <n>', 'floor vs lane: runs of each (default 5; smoke 1)', positive('--runs'))
    .option('--lanes <n>', 'throughput: lanes submitted at once (default 50; smoke 3)', positive('--lanes'))
    .option('--storm-lanes <n>', 'kill storm: lanes running (default 20; smoke 2)', positive('--storm-lanes'))
    .option('--kills <n>', 'kill storm: SIGKILLs of the worker (default 10; smoke 1)', positive('--kills'))
    .option('--files <n>', 'big repo: files generated (default 50000; smoke 1000)', positive('--files'))
    .option('--rounds <n>', 'big repo: rounds of the three checkouts, in rotating order (default 3; smoke 1)', positive('--rounds'))
    .option('--sandbox-runs <n>', 'sandbox cost: alternated plain/sandboxed runs of each command (default 20; smoke 2)', positive('--sandbox-runs'))
    .addOption(new Option('--only <section...>', 'run only these sections').choices(SECTIONS))
    .option('--json', 'print the JSON report on stdout instead of the table')
    .option('--out <file>', 'where to write the JSON report (default bench/results/<time>.json)')
    .option('--keep', 'keep the temp folder (repos, LANES_HOME, server db) for inspection')
    .option('--no-second-worker', 'throughput: measure one worker only (skip the two-worker scaling run)')
    .option('--worker-node-args <args>', 'extra node flags for the worker processes, space-separated (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof")')
    .exitOverride();
  program.parse(argv, { from: 'user' });
  const f = program.opts<Flags>();
  const smoke = f.smoke ?? false;
  const size = {
    runs: f.runs ?? (smoke ? 1 : 5),
    lanes: f.lanes ?? (smoke ? 3 : 50),
    stormLanes: f.stormLanes ?? (smoke ? 2 : 20),
    kills: f.kills ?? (smoke ? 1 : 10),
    files: f.files ?? (smoke ? 1_000 : 50_000),
    bigRepoRounds: f.rounds ?? (smoke ? 1 : 3),
    sandboxRuns: f.sandboxRuns ?? (smoke ? 2 : 20),
    cliRuns: smoke ? 1 : 5,
  };
  const want = (s: Section) => !f.only || f.only.includes(s);
  const problems: string[] = [];
  const log = (s: string) => process.stderr.write(`bench: ${s}\n`);
  const report: Record<string, unknown> = {
    schema: 'lanes.bench/v1',
    startedAt: new Date().toISOString(),
    smoke,
    size,
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memGb: Math.round(totalmem() / 2 ** 30), loadAvgAtStart: loadavg().map((l) => Math.round(l * 10) / 10) },
  };
  const workerNodeArgs = f.workerNodeArgs?.split(/\s+/).filter(Boolean) ?? [];
  if (want('sandbox')) {
    // Needs no server: measured first, before the stack's processes load the machine.
    log(`sandbox cost: ${size.sandboxRuns} alternated run(s) of each command`);
    report.sandbox = await sandboxCost(size.sandboxRuns, problems).catch((e: unknown) => {
      problems.push(`sandbox cost aborted: ${(e as Error).stack ?? String(e)}`);
      return undefined;
    });
  }
  if (!SECTIONS.some((s) => s !== 'sandbox' && want(s))) return finish(report, f, smoke, problems);
  const stack = await startBenchStack({ address: f.address, namespace: f.namespace, keep: f.keep, workerNodeArgs });
  try {
    if (want('floor') || want('cli') || want('throughput')) {
      log('starting worker a');
      await stack.startWorker('a');
    }
    if (want('floor') || want('cli')) {
      log(`floor vs lane: ${size.runs} run(s) each`);
      report.floorVsLane = await floorVsLane(stack, size.runs, problems);
    }
    if (want('cli')) {
      log('CLI latency');
      report.cliReadPath = await cliReadPath(stack, 'warmup');
      report.cliLatency = await cliLatency(stack, 'warmup', size.cliRuns, problems);
    }
    if (want('throughput')) {
      log(`throughput: ${size.lanes} lanes, one worker`);
      const one = await throughput(stack, size.lanes, 'tp1', problems);
      if (f.secondWorker) {
        log(`throughput: ${size.lanes} lanes, two workers`);
        await stack.startWorker('b');
        const two = await throughput(stack, size.lanes, 'tp2', problems);
        report.throughput = { oneWorker: one, twoWorkers: two, scaling: Math.round((two.lanesPerMin / one.lanesPerMin) * 100) / 100 };
      } else report.throughput = { oneWorker: one };
    }
    for (const w of [...stack.workers]) await stack.stopWorker(w);
    if (want('storm')) {
      log(`kill storm: ${size.kills} SIGKILL(s) across ${size.stormLanes} lanes`);
      report.killStorm = await killStorm(stack, size.stormLanes, size.kills, problems);
    }
    if (want('bigrepo')) {
      log(`big repo: ${size.files} files, ${size.bigRepoRounds} round(s)`);
      report.bigRepo = await bigRepo(stack, size.files, size.bigRepoRounds, problems);
    }
  } catch (e) {
    problems.push(`benchmark aborted: ${(e as Error).stack ?? String(e)}`);
  } finally {
    // Something was wrong: keep the lanes' folders, repos and server db for a post-mortem.
    const keep = problems.length > 0;
    await stack.stop(keep).catch((e: unknown) => problems.push(`stopping the stack: ${(e as Error).message}`));
    if (keep || f.keep) report.keptFolder = stack.root;
  }
  return finish(report, f, smoke, problems);
}

/** Writes the JSON report, prints the table (or the JSON) and the problems; the exit code. */
function finish(report: Record<string, unknown>, f: Flags, smoke: boolean, problems: string[]): number {
  report.finishedAt = new Date().toISOString();
  report.loadAvgAtEnd = loadavg().map((l) => Math.round(l * 10) / 10);
  report.problems = problems;
  report.ok = problems.length === 0;
  const file = f.out ?? join(fileURLToPath(new URL('../../bench/results/', import.meta.url)), `${(report.startedAt as string).replace(/[:.]/g, '-')}${smoke ? '-smoke' : ''}.json`);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
  if (f.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  else process.stdout.write(renderTable(report) + `\nJSON report: ${file}\n`);
  for (const p of problems) process.stderr.write(`bench: WRONG: ${p}\n`);
  return problems.length === 0 ? 0 : 1;
}
