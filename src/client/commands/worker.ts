// `lanes worker`: a worker process on the configured task queue.
import type { Command } from 'commander';
import { createLanesWorker, installRuntime } from '../../worker/worker.js';
import { action, intOption } from '../context.js';

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('Run a Lanes worker: registers the workflows and activities on the task queue; drains gracefully on SIGINT/SIGTERM')
    .option('--shutdown-grace-ms <ms>', 'time in-flight activities get to finish after a shutdown signal', intOption('--shutdown-grace-ms', 0, 3_600_000), 10_000)
    .action(
      action(async ({ out, config }, opts: { shutdownGraceMs: number }) => {
        installRuntime(out.format === 'json' ? 'WARN' : 'INFO');
        const w = await createLanesWorker({ address: config.address, namespace: config.namespace, taskQueue: config.taskQueue, home: config.home, trustedRoots: config.trustedRoots, shutdownGraceMs: opts.shutdownGraceMs });
        out.line({ event: 'worker.ready', address: config.address, namespace: config.namespace, taskQueue: config.taskQueue, pid: process.pid }, (v) =>
          `Lanes worker polling ${v.taskQueue} on ${v.address} (namespace ${v.namespace}); Ctrl-C drains and stops`,
        );
        await w.run();
        out.line({ event: 'worker.stopped', pid: process.pid }, () => 'Lanes worker stopped');
      }),
    );
}
