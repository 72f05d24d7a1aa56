// `lanes server`: the embedded Temporal dev server with persistent SQLite state.
import { join } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_SERVER_PORT, DEFAULT_UI_PORT, type LanesConfig } from '../../config.js';
import { requireTemporalBinary } from '../../devserver/provision.js';
import { type DevServer, startDevServer } from '../../devserver/server.js';
import type { Output } from '../output.js';
import { action, intOption } from '../context.js';

export interface ServerFlags {
  port: number;
  uiPort: number;
  headless?: boolean;
  db?: string;
}

export function addServerOptions(cmd: Command): Command {
  return cmd
    .option('--port <n>', 'gRPC port of the dev server', intOption('--port', 1), DEFAULT_SERVER_PORT)
    .option('--ui-port <n>', 'Web UI port', intOption('--ui-port', 1), DEFAULT_UI_PORT)
    .option('--headless', 'run without the Web UI')
    .option('--db <file>', 'SQLite file (default $LANES_HOME/temporal/dev.sqlite)');
}

export async function launchServer(config: LanesConfig, flags: ServerFlags, out: Output): Promise<DevServer> {
  const binary = await requireTemporalBinary({ onProgress: (l) => out.info(l) });
  return startDevServer({
    binaryPath: binary.path,
    dbFile: flags.db ?? join(config.home, 'temporal', 'dev.sqlite'),
    port: flags.port,
    uiPort: flags.headless ? undefined : flags.uiPort,
    namespace: config.namespace,
  });
}

export function describeServer(s: DevServer) {
  return { address: s.address, namespace: s.namespace, uiUrl: s.uiUrl ?? null, dbFile: s.dbFile, logFile: s.logFile, pid: s.pid };
}

/** Resolves on the first SIGINT/SIGTERM. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(sig);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

export function registerServerCommand(program: Command): void {
  addServerOptions(
    program
      .command('server')
      .description('Start the embedded Temporal dev server (SQLite under $LANES_HOME, Web UI, lane search attributes); stops on SIGINT/SIGTERM'),
  ).action(
    action(async ({ out, config }, flags: ServerFlags) => {
      const server = await launchServer(config, flags, out);
      out.line({ event: 'server.ready', ...describeServer(server) }, (v) =>
        `Temporal dev server ready\n  address:   ${v.address}\n  namespace: ${v.namespace}\n  web ui:    ${v.uiUrl ?? '(headless)'}\n  database:  ${v.dbFile}\n  log:       ${v.logFile}\nPress Ctrl-C to stop.`,
      );
      const outcome = await Promise.race([untilSignal().then((signal) => ({ signal })), server.exited.then((e) => ({ exited: e }))]);
      if ('signal' in outcome) {
        await server.stop();
        out.line({ event: 'server.stopped', signal: outcome.signal }, () => 'Temporal dev server stopped');
        return 0;
      }
      out.line({ event: 'server.exited', ...outcome.exited }, (v) => `Temporal dev server exited unexpectedly (${v.exitCode ?? v.signal}); see ${server.logFile}`);
      return 1;
    }),
  );
}
