// `lanes run <plan>` and `lanes run status|list|cancel|resume`: many packets as one run.
import { type Command, Option } from 'commander';
import { boardUrlFor } from '../../board/discovery.js';
import { LanesError } from '../../errors.js';
import { isLanded } from '../../git/landing.js';
import { loadPlanFile } from '../../packet/plan-parse.js';
import type { RunReport, RunTaskState } from '../../workflows/run/api.js';
import { runPlanQuery } from '../../workflows/run/api.js';
import type { RunEvent } from '../../workflows/run/events.js';
import { action, intOption } from '../context.js';
import type { Output } from '../output.js';
import { followRunEvents, requireRun, resumeRunId, reusableTasks, runHandle, runIdOf, runState, type StartRunResult, startRun, waitForRunReport } from '../runs.js';
import { withClient } from '../temporal.js';

export function renderRunEvent(e: RunEvent): string {
  const cls = e.failureClass ? ` [${e.failureClass}]` : '';
  return `#${String(e.seq).padStart(3)} ${e.ts.slice(11, 19)} ${e.type.padEnd(26)}${cls} ${e.detail}`;
}

function taskLine(t: RunTaskState, all: RunTaskState[]): string {
  const waiting = t.status === 'pending' ? t.dependsOn.filter((d) => !['landed', 'reused'].includes(all.find((x) => x.taskId === d)?.status ?? '')) : [];
  const why = t.reason ?? (waiting.length ? `waits for ${waiting.join(', ')}` : '');
  const tokens = t.usage.inputTokens + t.usage.outputTokens;
  return `  ${t.taskId.padEnd(20)} ${t.status.padEnd(8)} ${String(t.batch ?? '-').padEnd(3)} ${t.laneId.padEnd(30)} ${String(tokens).padStart(7)} tok  ${why}`;
}

export function renderRunReport(r: RunReport): string {
  return [
    `run ${r.runId}: ${r.state}${r.failureClass ? ` (${r.failureClass})` : ''} — ${r.detail}`,
    `  ${r.integrationBranch} -> ${r.target}: target ${r.targetStart?.slice(0, 10) ?? '?'} -> ${r.targetHead?.slice(0, 10) ?? '?'}${r.advanced ? ' (advanced)' : ' (not advanced)'}${r.gate ? `; held by ${r.gate.class}: ${r.gate.detail}` : ''}`,
    `  batches ${r.batches}; tokens ${r.usage.inputTokens + r.usage.outputTokens}, cost $${r.usage.costUsd.toFixed(4)}${r.resumedFrom ? `; resumes ${r.resumedFrom}` : ''}`,
    `  ${'task'.padEnd(20)} ${'status'.padEnd(8)} ${'b'.padEnd(3)} ${'lane'.padEnd(30)} ${'tokens'.padStart(11)}  reason`,
    ...r.tasks.map((t) => taskLine(t, r.tasks)),
  ].join('\n');
}

async function attachOrWait(out: Output, client: Parameters<typeof waitForRunReport>[0], sub: StartRunResult, opts: { wait?: boolean; follow?: boolean }): Promise<number> {
  const verb = sub.attached ? 'attached to existing' : 'started';
  if (!opts.wait && !opts.follow) {
    out.result(sub, (s) => `${verb} run ${s.runId} (workflow ${s.workflowId})`);
    return 0;
  }
  if (opts.follow) {
    out.line({ event: 'started', ...sub }, () => `${verb} run ${sub.runId}`);
    await followRunEvents(client, sub.runId, (e) => out.line(e, renderRunEvent));
  } else out.info(`${verb} run ${sub.runId}; waiting...`);
  const report = await waitForRunReport(client, sub.runId);
  if (opts.follow) out.line({ event: 'report', report }, (v) => renderRunReport(v.report));
  else out.result(report, renderRunReport);
  return report.state === 'finished' ? 0 : 1;
}

const waitOptions = (cmd: Command) =>
  cmd.addOption(new Option('--wait', 'wait for the run to end and print its report').conflicts('follow')).option('--follow', 'stream the run events live until it ends');

export function registerRunCommands(program: Command): void {
  const run = waitOptions(
    program
      .command('run')
      .description('Start a run plan (workflow id run-<plan id>; the same plan attaches), or manage runs: status, list, cancel, resume')
      .argument('<plan>', 'plan file (.json, .yaml or .yml); validate it first with `lanes plan validate`'),
  ).action(
    action(async ({ out, config }, file: string, opts: { wait?: boolean; follow?: boolean }) => {
      const plan = await loadPlanFile(file);
      return withClient(config, async (client) => {
        const sub = await startRun(client, config.taskQueue, plan, { historyEventLimit: config.historyEventLimit, rehomeAfterMs: config.rehomeAfterMs, boardUrl: boardUrlFor(config.home) });
        return attachOrWait(out, client, sub, opts);
      });
    }),
  );

  run
    .command('status')
    .description("A run's tasks: status, batch, lane, tokens, and why a task waits, failed or was skipped")
    .argument('<run>', 'run id (or workflow id run-<id>)')
    .action(
      action(async ({ out, config }, id: string) =>
        withClient(config, async (client) => {
          const r = await runState(client, id);
          out.result(r, renderRunReport);
          return 0;
        }),
      ),
    );

  run
    .command('list')
    .description('List runs with their status (from search attributes)')
    .option('--limit <n>', 'at most this many', intOption('--limit', 1, 10_000), 50)
    .action(
      action(async ({ out, config }, opts: { limit: number }) =>
        withClient(config, async (client) => {
          const rows: { runId: string; status: string; startTime: string; closeTime: string | null; tasks: unknown }[] = [];
          for await (const wf of client.workflow.list({ query: `WorkflowType = 'runWorkflow'` })) {
            rows.push({ runId: runIdOf(wf.workflowId), status: wf.status.name, startTime: wf.startTime.toISOString(), closeTime: wf.closeTime?.toISOString() ?? null, tasks: wf.memo?.tasks ?? null });
            if (rows.length >= opts.limit) break;
          }
          out.result(rows, (list: typeof rows) => (list.length ? list.map((r) => `${r.runId.padEnd(40)} ${r.status.padEnd(12)} ${String(r.tasks ?? '?').padStart(3)} task(s)  ${r.startTime}`).join('\n') : '(no runs)'));
        }),
      ),
    );

  run
    .command('cancel')
    .description('Cancel a run: its running lanes are cancelled (they close out), nothing new starts, the target stays where it is')
    .argument('<run>', 'run id')
    .action(
      action(async ({ out, config }, id: string) =>
        withClient(config, async (client) => {
          const status = await requireRun(client, id);
          if (status !== 'RUNNING') throw new LanesError('conflict', `run ${runIdOf(id)} has already ended (workflow ${status}); nothing to cancel`, 'See `lanes run status <run>`; `lanes run resume <run>` runs the rest.');
          await runHandle(client, id).cancel();
          out.result({ runId: runIdOf(id), cancelRequested: true }, (r) => `cancellation requested for run ${r.runId}`);
        }),
      ),
    );

  waitOptions(
    run
      .command('resume')
      .description('Start a new run (<plan id>-r<n>) that reuses every task the ended run landed (by packet fingerprint) and runs only the rest')
      .argument('<run>', 'the ended run (cancelled or failed)')
      .option('--plan <file>', 'resume with this (edited) plan instead of the run\'s own; unchanged tasks are still reused'),
  ).action(
    action(async ({ out, config }, id: string, own: { wait?: boolean; follow?: boolean; plan?: string }) =>
      withClient(config, async (client) => {
        // Commander hands --wait/--follow to `run` (it declares them too) unless they come first.
        const parent = run.opts<{ wait?: boolean; follow?: boolean }>();
        const opts = { ...own, wait: own.wait ?? parent.wait, follow: own.follow ?? parent.follow };
        const status = await requireRun(client, id);
        if (status === 'RUNNING') throw new LanesError('conflict', `run ${runIdOf(id)} is still running`, 'Cancel it first (`lanes run cancel`), or wait for it to end.');
        const previous = await runState(client, id);
        const plan = opts.plan ? await loadPlanFile(opts.plan) : await runHandle(client, id).query(runPlanQuery);
        if (plan.integrationBranch !== previous.integrationBranch || plan.repoPath !== previous.repo) {
          throw new LanesError('validation', `${opts.plan ?? 'plan'}: a resume keeps the repository and integration branch of run ${previous.runId} (${previous.repo}, ${previous.integrationBranch})`, 'Keep repo.path and integrationBranch as they were.');
        }
        const reuse = await reusableTasks(previous, async (laneId) => (await isLanded({ laneId, repoPath: plan.repoPath, target: plan.integrationBranch }).catch(() => ({ landed: false }))).landed);
        const sub = await startRun(client, config.taskQueue, plan, { runId: resumeRunId(plan.id, previous.runId), reuse, resumedFrom: previous.runId, historyEventLimit: config.historyEventLimit, rehomeAfterMs: config.rehomeAfterMs, boardUrl: boardUrlFor(config.home) });
        out.info(`resuming ${previous.runId} as ${sub.runId}: ${reuse.length} landed task(s) reused`);
        return attachOrWait(out, client, sub, opts);
      }),
    ),
  );
}
