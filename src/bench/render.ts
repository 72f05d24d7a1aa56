// The readable table of a benchmark report (the JSON report has everything).
import type { BigRepo } from './big-repo.js';
import type { CliLatency } from './cli-latency.js';
import type { FloorVsLane } from './floor-vs-lane.js';
import type { KillStorm } from './kill-storm.js';
import type { SandboxCost } from './sandbox-cost.js';
import type { Summary } from './stats.js';
import type { ThroughputRun } from './throughput.js';

const ms = (s: Summary) => `median ${s.medianMs} ms, p95 ${s.p95Ms} ms (n=${s.n})`;

export function renderTable(r: Record<string, unknown>): string {
  const rows: [string, string][] = [];
  const fl = r.floorVsLane as FloorVsLane | undefined;
  if (fl) {
    rows.push(
      ['floor (plain script, tests the candidate)', ms(fl.floor)],
      ['lane (submit → report), candidate reused', ms(fl.lane)],
      ['lane (report durationMs), candidate reused', ms(fl.laneReport)],
      ['lane, retestCandidate: always (submit → report)', ms(fl.laneRetest)],
      ['lane, retestCandidate: always (report durationMs)', ms(fl.laneRetestReport)],
      ['lane / floor: reused | retested', `${fl.ratio}× | ${fl.ratioRetest}×`],
    );
    for (const [phase, v] of Object.entries(fl.phases)) rows.push([`  ${phase}`, `${v} ms`]);
    const a = fl.activities;
    rows.push([`lane per activity (median of ${a.lanes})`, 'scheduled at / gap before / run (ms)']);
    for (const s of a.rows) rows.push([`  ${s.activity}`, `${String(s.scheduledMs).padStart(6)} ${String(s.gapMs).padStart(5)} ${String(s.runMs).padStart(6)}`]);
    rows.push(['  activities running / between them / total', `${a.activeMs} / ${a.betweenMs} / ${a.totalMs} ms`]);
  }
  const cli = r.cliLatency as CliLatency | undefined;
  if (cli) for (const [name, s] of Object.entries(cli)) rows.push([name, ms(s)]);
  if (r.cliReadPath) rows.push(['  status / list read over', String(r.cliReadPath)]);
  const tp = r.throughput as { oneWorker: ThroughputRun; twoWorkers?: ThroughputRun; scaling?: number } | undefined;
  if (tp) {
    for (const [label, t] of [['1 worker', tp.oneWorker], ['2 workers', tp.twoWorkers]] as const) {
      if (!t) continue;
      rows.push(
        [`throughput, ${label}`, `${t.lanes} lanes in ${(t.wallMs / 1000).toFixed(1)} s = ${t.lanesPerMin} lanes/min`],
        [`  lane latency`, ms(t.latency)],
        [`  workers`, `peak RSS ${t.workerPeakRssMb} MB (worker processes alone ${t.workerProcessPeakRssMb} MB), CPU ${t.workerCpuCores} cores; per host ${JSON.stringify(t.perHost)}`],
      );
    }
    if (tp.scaling !== undefined) rows.push(['scaling 2 workers / 1', `${tp.scaling}×`]);
  }
  const ks = r.killStorm as KillStorm | undefined;
  if (ks) {
    rows.push(
      ['kill storm', `${ks.kills} SIGKILLs across ${ks.lanes} lanes in ${(ks.wallMs / 1000).toFixed(1)} s`],
      ['  repeated turns', `${ks.repeatedTurnsInWindow} inside a killed turn, ${ks.repeatedTurnsOutsideWindow} outside`],
      ['  worst kill → next step', `${ks.worstKillToNextStepMs} ms (${ks.worstReadyToNextStepMs} ms after the worker was back)`],
      ['  lanes waiting > 30 s', String(ks.lanesWaitingOver30s)],
    );
  }
  const br = r.bigRepo as BigRepo | undefined;
  if (br) rows.push([`big repo (${br.files} files)`, `medians of ${br.rounds}: lane worktree ${br.laneWorktreeMs} ms, git worktree add ${br.gitWorktreeAddMs} ms, git clone ${br.gitCloneMs} ms`]);
  const sb = r.sandbox as SandboxCost | undefined;
  if (sb) {
    for (const c of sb.commands) rows.push([`sandbox: \`${c.command}\``, `plain median ${c.plain.medianMs} ms, sandboxed median ${c.sandboxed.medianMs} ms (${c.overheadMs >= 0 ? '+' : ''}${c.overheadMs} ms; n=${c.plain.n} each)`]);
    rows.push(['sandbox: processes per sandboxed `true`', sb.execs ? `${sb.execs.total} (${Object.entries(sb.execs.byProgram).map(([k, v]) => `${k} ${v}`).join(', ')})` : 'not counted (no strace on this host)']);
  }
  const width = Math.max(...rows.map(([k]) => k.length));
  const m = r.machine as { cpus: number; loadAvgAtStart: number[] };
  return [
    `Lanes benchmark${r.smoke ? ' (smoke sizes: figures mean little)' : ''} — ${m.cpus} CPUs, load at start ${m.loadAvgAtStart.join(' ')}`,
    ...rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`),
    `correctness: ${r.ok ? 'OK' : `WRONG (${(r.problems as string[]).length} problem(s))`}`,
  ].join('\n');
}
