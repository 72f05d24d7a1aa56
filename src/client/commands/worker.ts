// `lanes worker`: a worker process on the configured task queue, optionally
// supervised (restarted after a crash) and, for drills only, with a fault plan.
import type { Command } from 'commander';
import { createFaultInjector, FAULT_PLAN_ENV, loadWorkerFaultPlan } from '../../faults/index.js';
import { EXIT_WITH_PARENT_ENV, exitWithParent } from '../../devserver/lifeline.js';
import { forwardSignals, superviseWorker, type SupervisorEvent } from '../../worker/supervisor.js';
import { WORKER_NODE_FLAGS, WORKER_PROCESS_ENV } from '../../worker/tuning.js';
import { createLanesWorker, installRuntime } from '../../worker/worker.js';
import { action, intOption } from '../context.js';
import type { Output } from '../output.js';

interface WorkerFlags {
  shutdownGraceMs: number;
  supervise?: boolean;
  faultPlan?: string;
  allowChaos?: boolean;
}

export function renderSupervisorEvent(e: SupervisorEvent): string {
  switch (e.event) {
    case 'worker.spawned':
      return `supervisor: worker started (pid ${String(e.pid)})`;
    case 'worker.restarted':
      return `supervisor: worker pid ${String(e.previousPid)} died (${e.signal ? `signal ${String(e.signal)}` : `exit ${String(e.exitCode)}`}); restart ${String(e.attempt)} in ${String(e.delayMs)} ms`;
    case 'worker.gave_up':
      return `supervisor: not restarting the worker: ${String(e.reason)}`;
    case 'worker.supervisor.stopped':
      return `supervisor: stopped (exit ${String(e.exitCode)})`;
  }
}

/** Runs `node <lanes bin> <args>` under the supervisor until it stops; returns the exit code. */
export async function runSupervised(
  out: Output,
  args: readonly string[],
  hooks: { onChildLine?: (line: string) => void; showEvent?: (e: SupervisorEvent) => boolean } = {},
): Promise<number> {
  const sup = superviseWorker({
    command: process.execPath,
    args: [...WORKER_NODE_FLAGS, ...process.execArgv, process.argv[1]!, ...args],
    // The worker drains and exits when this process is gone, even after a SIGKILL of it.
    env: { ...WORKER_PROCESS_ENV, ...process.env, [EXIT_WITH_PARENT_ENV]: String(process.pid) },
    log: (e) => {
      if (hooks.showEvent?.(e) ?? true) out.line(e, renderSupervisorEvent);
    },
    ...(hooks.onChildLine ? { onChildLine: hooks.onChildLine } : {}),
  });
  const unhook = forwardSignals(sup);
  try {
    return await sup.done;
  } finally {
    unhook();
  }
}

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('Run a Lanes worker: registers the workflows and activities on the task queue; drains gracefully on SIGINT/SIGTERM')
    .option('--shutdown-grace-ms <ms>', 'time in-flight activities get to finish after a shutdown signal', intOption('--shutdown-grace-ms', 0, 3_600_000), 10_000)
    .option('--supervise', 'run the worker as a child process and restart it (with backoff) whenever it dies abnormally')
    .option('--allow-chaos', 'chaos runs only: honour the per-lane fault plans a chaos run writes under $LANES_HOME/faults/.plans')
    .option('--fault-plan <file>', `drills only: arm the fault plan in <file> (JSON; also env ${FAULT_PLAN_ENV}); see docs/durability.md`)
    .action(
      action(async ({ out, config }, opts: WorkerFlags) => {
        // Validate the plan up front: a bad plan is a usage error, not a crash loop.
        const faults = loadWorkerFaultPlan({ flag: opts.faultPlan });
        if (opts.supervise) {
          return runSupervised(out, process.argv.slice(2).filter((a) => a !== '--supervise'));
        }
        installRuntime(out.format === 'json' ? 'WARN' : 'INFO');
        // Supervised by `lanes up` / `worker --supervise`: orphaned means drain and stop (the SDK handles SIGTERM).
        exitWithParent(() => process.kill(process.pid, 'SIGTERM'));
        const w = await createLanesWorker({ address: config.address, connection: config.connection, namespace: config.namespace, taskQueue: config.taskQueue, home: config.home, trustedRoots: config.trustedRoots, shutdownGraceMs: opts.shutdownGraceMs, allowChaos: opts.allowChaos ?? false,
          // The drill's plan and chaos's per-lane plans reach the activities only through this injector.
          faults: createFaultInjector({ plan: faults?.plan ?? null, chaosPlans: opts.allowChaos ?? false }) });
        out.line(
          {
            event: 'worker.ready',
            ts: new Date().toISOString(),
            address: config.address,
            namespace: config.namespace,
            taskQueue: config.taskQueue,
            hostQueue: w.hostQueue,
            pid: process.pid,
            reapedActivities: w.reaped.failed,
            faultPlan: faults ? { file: faults.file, points: faults.plan.map((f) => `${f.point}:${f.fault}`) } : null,
          },
          (v) =>
            `Lanes worker polling ${v.taskQueue} on ${v.address} (namespace ${v.namespace}); Ctrl-C drains and stops` +
            (v.reapedActivities.length ? `\n  retried ${v.reapedActivities.length} activity attempt(s) a crashed worker left running` : '') +
            (v.faultPlan ? `\n  FAULT PLAN ARMED (${v.faultPlan.file}): ${v.faultPlan.points.join(', ')} — for drills only` : ''),
        );
        await w.run();
        out.line({ event: 'worker.stopped', pid: process.pid }, () => 'Lanes worker stopped');
      }),
    );
}
