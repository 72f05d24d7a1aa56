// `lanes drill crash`: kill the worker (or restart the dev server) at named kill
// points while a real lane runs, and check that nothing was lost or done twice.
import { type Command, InvalidArgumentError, Option } from 'commander';
import { DRILL_AGENTS, type DrillAgent, runCrashDrill } from '../../drill/crash-drill.js';
import type { CrashDrillReport } from '../../drill/report.js';
import { LanesError } from '../../errors.js';
import { isKillPoint, KILL_POINTS, type KillPoint } from '../../faults/index.js';
import { pointsForAgent } from '../../faults/points.js';
import { action, intOption } from '../context.js';

const DRILL_FAULTS = ['crash', 'exit', 'throw', 'enospc', 'mcp_crash', 'mcp_hang', 'index_lock'] as const;
type DrillFault = (typeof DRILL_FAULTS)[number];

interface DrillCrashFlags {
  at?: KillPoint[];
  all?: boolean;
  repeat: number;
  serverRestart?: boolean;
  fault: DrillFault;
  keep?: boolean;
  dir?: string;
  pointTimeoutMs: number;
  agent: DrillAgent;
}

function pointsOption(value: string, previous: KillPoint[] = []): KillPoint[] {
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of names) if (!isKillPoint(n)) throw new InvalidArgumentError(`unknown kill point "${n}"; known: ${KILL_POINTS.join(', ')}`);
  return [...previous, ...(names as KillPoint[])];
}

export function renderDrillReport(r: CrashDrillReport): string {
  const rows = r.points.map((p) => {
    const broken = p.invariants.filter((i) => !i.passed);
    const ms = (v: number | null) => `${String(v ?? '-').padStart(6)} ms`;
    return `  ${p.passed ? 'PASS' : 'FAIL'}  ${p.point.padEnd(18)} resume ${ms(p.resumeLatencyMs)} ${(p.resumedWith ?? '').padEnd(22)} restart ${ms(p.restartMs)}  decision ${ms(p.decisionResumeMs)}  lane ${(p.durationMs / 1000).toFixed(1).padStart(5)} s` +
      (broken.length ? `\n        broken: ${broken.map((i) => `${i.name}: ${i.detail}`).join('\n                ')}\n        kept: ${p.dir}` : '');
  });
  const failed = r.points.filter((p) => !p.passed).length;
  return `crash drill (${r.mode}) on ${r.server.address}${r.server.startedByDrill ? ' (server started by the drill)' : ''}\n${rows.join('\n')}\n` +
    `${r.passed ? 'PASSED' : 'FAILED'}: ${r.points.length - failed}/${r.points.length} run(s) kept every invariant (${(r.durationMs / 1000).toFixed(1)} s)`;
}

export function registerDrillCommands(program: Command): void {
  const drill = program.command('drill').description('Durability drills: crash a lane on purpose and check what survives');
  drill
    .command('crash')
    .description('Run the drill lane once per kill point, SIGKILL its supervised worker there (or restart the dev server), and check the invariants; exit 1 if any broke')
    .option('--at <points>', `kill point(s), comma-separated or repeated: ${KILL_POINTS.join(', ')}`, pointsOption)
    .option('--all', "every kill point the drill lane's agent passes through")
    .option('--repeat <n>', 'runs per point', intOption('--repeat', 1, 100), 1)
    .option('--server-restart', 'hold the lane at the point and restart the dev server (SIGKILL, same SQLite) instead of killing the worker; the drill starts its own server (default point: mid_tests)')
    .addOption(new Option('--fault <kind>', 'what happens at the point in a worker drill: crash = SIGKILL the worker; the others act inside it (see docs/durability.md)').choices(DRILL_FAULTS).default('crash'))
    .addOption(new Option('--agent <kind>', "the drill lane's agent: builtin (the mock model through Lanes' own loop), or the real claude_code / codex binary against the mock").choices(DRILL_AGENTS).default('builtin'))
    .option('--keep', 'keep the run folders of passing points too (failing ones are always kept)')
    .option('--dir <path>', 'parent folder for the run folders (default: a new temp folder)')
    .option('--point-timeout-ms <ms>', 'deadline for one lane', intOption('--point-timeout-ms', 10_000, 3_600_000), 180_000)
    .action(
      action(async ({ out, config }, flags: DrillCrashFlags) => {
        if (flags.serverRestart && flags.fault !== 'crash') throw new LanesError('usage', '--fault applies to worker drills, not --server-restart', 'Drop --fault, or drop --server-restart.');
        if (flags.all && flags.at) throw new LanesError('usage', '--at and --all are exclusive', 'Pass either --at <point>[,<point>...] or --all.');
        const points: KillPoint[] = flags.all ? pointsForAgent(flags.agent) : flags.at ? [...new Set(flags.at)] : flags.serverRestart ? ['mid_tests'] : [];
        if (points.length === 0) throw new LanesError('usage', 'no kill point selected', `Pass --at <point>[,<point>...] or --all (points: ${KILL_POINTS.join(', ')}).`);
        const report = await runCrashDrill({
          address: config.address,
          namespace: config.namespace,
          points,
          repeat: flags.repeat,
          serverRestart: flags.serverRestart === true,
          fault: flags.fault,
          keep: flags.keep === true,
          ...(flags.dir ? { dir: flags.dir } : {}),
          pointTimeoutMs: flags.pointTimeoutMs,
          agent: flags.agent,
          onProgress: (l) => out.info(l),
        });
        out.result(report, renderDrillReport);
        return report.passed ? 0 : 1;
      }),
    );
}
