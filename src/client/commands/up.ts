// `lanes up`: the embedded default — a dev server (unless one is reachable) in this
// process, plus a supervised worker child that is restarted if it crashes.
import type { Command } from 'commander';
import { isServerReachable } from '../../devserver/server.js';
import { connectionArgs } from '../../connection/settings.js';
import { probeUiUrl } from '../../devserver/lifeline.js';
import { action, intOption } from '../context.js';
import { startBoardForUp } from './board-web.js';
import { runSupervised } from './worker.js';
import { addServerOptions, describeServer, launchServer, type LaunchedServer, type ServerFlags } from './server.js';

export function registerUpCommand(program: Command): void {
  addServerOptions(
    program
      .command('up')
      .description('Start the embedded default: a Temporal dev server (reused if one answers at --address; then --port/--ui-port/--db do not apply), a supervised worker and the web board; Ctrl-C stops all')
      .option('--board-port <n>', 'web board port, beside the Web UI (0 = any free port)', intOption('--board-port', 0), 8234)
      .option('--no-board', 'do not serve the web board'),
  ).action(
    action(async ({ out, config }, flags: ServerFlags & { board: boolean; boardPort: number }) => {
      let server: LaunchedServer | undefined;
      let reusedUi: string | undefined;
      if (!(await isServerReachable(config.address, config.connection))) {
        server = await launchServer(config, flags, out);
        config.address = server.address;
      } else reusedUi = await probeUiUrl(config.address);
      let board: Awaited<ReturnType<typeof startBoardForUp>> | undefined;
      try {
        if (flags.board) board = await startBoardForUp(config, flags.boardPort, server ? (server.uiUrl ?? null) : (reusedUi ?? null));
      } catch (e) {
        await server?.stop();
        throw e;
      }
      let announced = false;
      // The worker child gets the same TLS settings as flags; an API key travels in its environment only.
      if (config.connection.apiKey) process.env.TEMPORAL_API_KEY = config.connection.apiKey.value;
      const workerArgs = ['--json', '--address', config.address, '--namespace', config.namespace, '--task-queue', config.taskQueue, ...connectionArgs(config.connection), 'worker'];
      try {
        const code = await runSupervised(out, workerArgs, {
          // up.ready stays the first line: the first spawn is announced by it.
          showEvent: (e) => announced || e.event !== 'worker.spawned',
          onChildLine: (line) => {
            let event: unknown;
            try {
              event = (JSON.parse(line) as { event?: unknown }).event;
            } catch {
              event = undefined;
            }
            if (event === 'worker.ready' && !announced) {
              announced = true;
              out.line(
                { event: 'up.ready', server: server ? describeServer(server) : { address: config.address, reused: true, uiUrl: reusedUi ?? null }, board: board?.info ?? null, taskQueue: config.taskQueue, home: config.home, supervised: true },
                (v) =>
                  `Lanes is up\n  temporal:  ${v.server.address}${v.server.reused ? ' (existing server)' : ''}\n  web ui:    ${v.server.uiUrl ?? '-'}\n  board:     ${v.board ? `${v.board.url} (read-only)` : '-'}\n  taskQueue: ${v.taskQueue}\n  home:      ${v.home}\n  worker:    supervised (restarted after a crash)\nCtrl-C stops the worker${server ? ' and the server' : ''}.`,
              );
            }
            // The worker's own lines (restart readiness, stop) in JSON mode; text mode has the supervisor's.
            if (out.format === 'json') process.stdout.write(`${line}\n`);
          },
        });
        out.line({ event: 'up.stopped', exitCode: code }, () => 'Lanes stopped');
        return code;
      } finally {
        await board?.close();
        await server?.stop();
      }
    }),
  );
}
