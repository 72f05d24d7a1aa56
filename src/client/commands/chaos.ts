// `lanes chaos run|schedule|list|report|trigger|pause|delete`: chaos runs on demand
// or on a Temporal Schedule (overlap: skip).
import { ScheduleNotFoundError, ScheduleOverlapPolicy, WorkflowNotFoundError } from '@temporalio/client';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { CHAOS_AGENTS, CHAOS_FAULTS, type ChaosAgent, type ChaosFault } from '../../chaos/plan.js';
import { LanesError } from '../../errors.js';
import type { ChaosReport } from '../../chaos/report.js';
import { type ChaosInput, chaosWorkflow } from '../../workflows/chaos.js';
import { action, intOption } from '../context.js';
import { withClient } from '../temporal.js';

function faultList(value: string): ChaosFault[] {
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = items.filter((i) => !(CHAOS_FAULTS as readonly string[]).includes(i));
  if (bad.length || items.length === 0) throw new InvalidArgumentError(`unknown fault(s) ${bad.join(', ') || '(none)'}; allowed: ${CHAOS_FAULTS.join(', ')}`);
  return items as ChaosFault[];
}

function agentList(value: string): ChaosAgent[] {
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = items.filter((i) => !(CHAOS_AGENTS as readonly string[]).includes(i));
  if (bad.length || items.length === 0) throw new InvalidArgumentError(`unknown agent(s) ${bad.join(', ') || '(none)'}; allowed: ${CHAOS_AGENTS.join(', ')}`);
  return items as ChaosAgent[];
}

function duration(value: string): string {
  if (!/^\d+(ms|s|m|h|d)$/.test(value)) throw new InvalidArgumentError('use a duration such as 30m, 6h or 1d');
  return value;
}

export function renderChaosReport(r: ChaosReport): string {
  const failed = r.invariants.filter((i) => !i.passed);
  return [
    `chaos ${r.chaosId}: ${r.violations} violation(s), seed ${r.seed}${r.armed ? '' : ' (faults NOT armed: start workers with --allow-chaos)'}`,
    ...r.lanes.map((l) => `  ${l.laneId}${l.agent && l.agent !== 'builtin' ? ` (${l.agent})` : ''}: ${l.state}${l.failureClass ? ` (${l.failureClass})` : ''}; fault ${l.fault.fault} at ${l.fault.point}`),
    ...failed.map((i) => `  VIOLATION ${i.laneId} ${i.name}: ${i.detail}`),
    `  report: ${r.reportFile}`,
  ].join('\n');
}

interface ChaosFlags {
  seed?: number;
  lanes: number;
  faults: ChaosFault[];
  agents: ChaosAgent[];
  mockModel?: boolean;
}

function addChaosInputOptions(cmd: Command): Command {
  return cmd
    .option('--seed <n>', 'seed for the fault plan (default: derived from the run id)', intOption('--seed', 0, 2 ** 31))
    .option('--lanes <n>', 'lanes per run', intOption('--lanes', 1, 20), 2)
    .option('--faults <list>', `comma list of faults (${CHAOS_FAULTS.join(', ')}); crash needs supervised workers`, faultList, ['throw', 'delay'] as ChaosFault[])
    .option('--agents <list>', `comma list of lane agents, given to the lanes in turn (${CHAOS_AGENTS.join(', ')}); claude_code and codex call the worker's provider endpoints`, agentList, ['builtin'] as ChaosAgent[])
    .option('--mock-model', "external-agent lanes' objectives select the testkit mock model's fix scenarios (offline runs against mock-model-server)");
}

const inputOf = (f: ChaosFlags, plant?: ChaosInput['plant']): ChaosInput => ({
  ...(f.seed !== undefined ? { seed: f.seed } : {}),
  lanes: f.lanes,
  faults: f.faults,
  // Builtin-only runs keep the input they always had.
  ...(f.agents.some((a) => a !== 'builtin') ? { agents: f.agents } : {}),
  ...(f.mockModel ? { mockModel: true } : {}),
  ...(plant ? { plant } : {}),
});

export function registerChaosCommands(program: Command): void {
  const chaos = program.command('chaos').description('Chaos runs: lanes under seeded faults, checked against the durability invariants');

  addChaosInputOptions(chaos.command('run').description('Run one chaos batch now and print its report (exit 1 on any violation)'))
    .addOption(new Option('--plant <violation>', 'test-only: plant a real violation to prove the checks catch it').choices(['double_land']))
    .action(
      action(async ({ out, config }, flags: ChaosFlags & { plant?: 'double_land' }) =>
        withClient(config, async (client) => {
          const workflowId = `chaos-run-${Date.now()}`;
          out.info(`chaos run ${workflowId} started`);
          const report = await client.workflow.execute(chaosWorkflow, { taskQueue: config.taskQueue, workflowId, args: [inputOf(flags, flags.plant)] });
          out.result(report, renderChaosReport);
          return report.violations === 0 ? 0 : 1;
        }),
      ),
    );

  addChaosInputOptions(chaos.command('schedule').description('Create a Temporal Schedule that runs chaos batches (overlap: skip)'))
    .requiredOption('--every <duration>', 'interval, e.g. 6h', duration)
    .option('--id <scheduleId>', 'schedule id', 'lanes-chaos')
    .action(
      action(async ({ out, config }, flags: ChaosFlags & { every: string; id: string }) =>
        withClient(config, async (client) => {
          await client.schedule.create({
            scheduleId: flags.id,
            spec: { intervals: [{ every: flags.every as `${number}m` }] },
            action: { type: 'startWorkflow', workflowType: chaosWorkflow, args: [inputOf(flags)], taskQueue: config.taskQueue, workflowId: `chaos-${flags.id}` },
            policies: { overlap: ScheduleOverlapPolicy.SKIP },
            memo: { lanesChaos: true },
          });
          out.result({ scheduleId: flags.id, every: flags.every, taskQueue: config.taskQueue }, (v) => `schedule ${v.scheduleId} runs chaos every ${v.every} on ${v.taskQueue}`);
        }),
      ),
    );

  chaos
    .command('list')
    .description('List chaos schedules and recent chaos runs')
    .option('--limit <n>', 'runs to show', intOption('--limit', 1, 1000), 20)
    .action(
      action(async ({ out, config }, opts: { limit: number }) =>
        withClient(config, async (client) => {
          const schedules = [];
          for await (const s of client.schedule.list()) {
            if (s.action?.type === 'startWorkflow' && s.action.workflowType === 'chaosWorkflow') {
              schedules.push({ scheduleId: s.scheduleId, paused: s.state.paused, recentActions: s.info.recentActions.length, nextActionTimes: s.info.nextActionTimes.map((d) => d.toISOString()) });
            }
          }
          const runs = [];
          for await (const wf of client.workflow.list({ query: `WorkflowType = 'chaosWorkflow'` })) {
            runs.push({ workflowId: wf.workflowId, status: wf.status.name, violations: (wf.searchAttributes as Record<string, unknown[]>).ChaosViolations?.[0] ?? null, startTime: wf.startTime.toISOString() });
            if (runs.length >= opts.limit) break;
          }
          out.result({ schedules, runs }, (v) =>
            [
              `schedules: ${v.schedules.length ? '' : '(none)'}`,
              ...v.schedules.map((s: any) => `  ${s.scheduleId}${s.paused ? ' (paused)' : ''}, next ${s.nextActionTimes[0] ?? '-'}`),
              `runs: ${v.runs.length ? '' : '(none)'}`,
              ...v.runs.map((r: any) => `  ${r.workflowId} ${r.status} violations=${r.violations ?? '-'}`),
            ].join('\n'),
          );
        }),
      ),
    );

  chaos
    .command('report')
    .description('Print the report of a chaos run (its workflow id)')
    .argument('<workflowId>', 'chaos run workflow id (see `lanes chaos list`)')
    .action(
      action(async ({ out, config }, workflowId: string) =>
        withClient(config, async (client) => {
          try {
            const report = await client.workflow.getHandle<typeof chaosWorkflow>(workflowId).result();
            out.result(report, renderChaosReport);
            return report.violations === 0 ? 0 : 1;
          } catch (e) {
            if (e instanceof WorkflowNotFoundError) throw new LanesError('not_found', `no chaos run ${workflowId}`, 'See `lanes chaos list`.');
            throw e;
          }
        }),
      ),
    );

  const scheduleAction = (name: 'trigger' | 'pause' | 'unpause' | 'delete', description: string) =>
    chaos
      .command(name)
      .description(description)
      .argument('[scheduleId]', 'schedule id', 'lanes-chaos')
      .action(
        action(async ({ out, config }, scheduleId: string) =>
          withClient(config, async (client) => {
            const handle = client.schedule.getHandle(scheduleId);
            try {
              if (name === 'trigger') await handle.trigger();
              else if (name === 'pause') await handle.pause('paused with lanes chaos pause');
              else if (name === 'unpause') await handle.unpause('unpaused with lanes chaos unpause');
              else await handle.delete();
            } catch (e) {
              if (e instanceof ScheduleNotFoundError) throw new LanesError('not_found', `no schedule ${scheduleId}`, 'See `lanes chaos list`.');
              throw e;
            }
            out.result({ scheduleId, action: name }, (v) => `schedule ${v.scheduleId}: ${v.action} done`);
          }),
        ),
      );
  scheduleAction('trigger', 'Start a chaos run of a schedule now');
  scheduleAction('pause', 'Pause a chaos schedule');
  scheduleAction('unpause', 'Resume a paused chaos schedule');
  scheduleAction('delete', 'Delete a chaos schedule');
}
