// `lanes up`: the embedded default — a dev server (unless one is reachable) plus a worker.
import type { Command } from 'commander';
import { type DevServer, isServerReachable } from '../../devserver/server.js';
import { createLanesWorker, installRuntime } from '../../worker/worker.js';
import { action } from '../context.js';
import { addServerOptions, describeServer, launchServer, type ServerFlags } from './server.js';

export function registerUpCommand(program: Command): void {
  addServerOptions(
    program
      .command('up')
      .description('Start the embedded default: a Temporal dev server (reused if one answers at --address) and a worker; Ctrl-C stops both'),
  ).action(
    action(async ({ out, config }, flags: ServerFlags) => {
      installRuntime(out.format === 'json' ? 'WARN' : 'INFO');
      let server: DevServer | undefined;
      if (!(await isServerReachable(config.address))) {
        server = await launchServer(config, flags, out);
        config.address = server.address;
      }
      const w = await createLanesWorker({ address: config.address, namespace: config.namespace, taskQueue: config.taskQueue, home: config.home, trustedRoots: config.trustedRoots });
      out.line(
        { event: 'up.ready', server: server ? describeServer(server) : { address: config.address, reused: true }, taskQueue: config.taskQueue, home: config.home },
        (v) => `Lanes is up\n  temporal:  ${v.server.address}${v.server.reused ? ' (existing server)' : ''}\n  web ui:    ${v.server.uiUrl ?? '-'}\n  taskQueue: ${v.taskQueue}\n  home:      ${v.home}\nCtrl-C stops the worker${server ? ' and the server' : ''}.`,
      );
      try {
        await w.run();
      } finally {
        await server?.stop();
      }
      out.line({ event: 'up.stopped' }, () => 'Lanes stopped');
    }),
  );
}
