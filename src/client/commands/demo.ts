// `lanes demo`: the README's main job. On the embedded default (a dev server is
// started unless one answers, plus an in-process worker) it lands a real change
// in a fresh fixture repository and prints the lane report and the Web UI link.
import { join } from 'node:path';
import { Client } from '@temporalio/client';
import { type Command, Option } from 'commander';
import { isServerReachable } from '../../devserver/server.js';
import { TaskPacketSchema } from '../../packet/schema.js';
import type { ProviderName } from '../../providers/types.js';
import { createFixtureRepo } from '../../demo/fixture-repo.js';
import { demoPacket } from '../../demo/scenario.js';
import { createLanesWorker, installRuntime } from '../../worker/worker.js';
import { action } from '../context.js';
import { connectClient } from '../temporal.js';
import { followEvents, normalizePacket, submitLane, waitForReport } from '../lanes.js';
import { renderEvent, renderReport } from './lane.js';
import { addServerOptions, launchServer, type LaunchedServer, type ServerFlags, untilSignal } from './server.js';
import { LanesError } from '../../errors.js';
import { probeUiUrl } from '../../devserver/lifeline.js';

export function registerDemoCommand(program: Command): void {
  addServerOptions(
    program
      .command('demo')
      .description('Run the demo lane on the embedded default: a fixture repo with a failing test, an agent that fixes it, tests, merge, report. A server already answering at --address is reused (then --port/--ui-port/--db do not apply)')
      .addOption(new Option('--provider <name>', 'model provider (scripted is offline and labelled as such)').choices(['scripted', 'anthropic', 'openai']).default('scripted'))
      .option('--model <name>', 'model name for anthropic/openai')
      .option('--keep', 'keep the server and worker running after the report (to browse the Web UI); Ctrl-C stops them'),
  ).action(
    action(async ({ out, config }, opts: ServerFlags & { provider: ProviderName; model?: string; keep?: boolean }) => {
      if (opts.provider === 'anthropic' && !process.env.ANTHROPIC_API_KEY) throw new LanesError('usage', '--provider anthropic needs ANTHROPIC_API_KEY in the environment', 'Export ANTHROPIC_API_KEY (and ANTHROPIC_BASE_URL for a proxy), or use the default scripted provider.');
      if (opts.provider === 'openai' && !process.env.OPENAI_API_KEY && !process.env.OPENAI_BASE_URL) throw new LanesError('usage', '--provider openai needs OPENAI_API_KEY or OPENAI_BASE_URL (for a local server such as Ollama)', 'Export one of them, or use the default scripted provider.');
      installRuntime('ERROR');
      let server: LaunchedServer | undefined;
      if (!(await isServerReachable(config.address, config.connection))) {
        out.info('starting the embedded Temporal dev server...');
        server = await launchServer(config, opts, out);
        config.address = server.address;
      }
      // A reused server's UI is where it really answers, never a guess at the default port.
      // LANES_WEB_UI_URL names it when the UI does not sit at the dev server's pairing (gRPC port + 1000).
      const uiBase = server ? server.uiUrl : (process.env.LANES_WEB_UI_URL?.replace(/\/+$/, '') || (await probeUiUrl(config.address)));
      const worker = await createLanesWorker({ address: config.address, connection: config.connection, namespace: config.namespace, taskQueue: config.taskQueue, home: config.home, trustedRoots: config.trustedRoots, shutdownGraceMs: 2_000 });
      const running = worker.run();
      try {
        const stamp = new Date().toISOString().replace(/[-:T.Z]/g, '').slice(0, 14);
        const repo = await createFixtureRepo(join(config.home, 'demo', `calculator-${stamp}`));
        out.info(`fixture repository: ${repo.path} (node --test is red: multiply is missing)`);
        const packet = normalizePacket(TaskPacketSchema.parse(demoPacket({ id: `demo-${stamp}`, repoPath: repo.path, provider: opts.provider, model: opts.model })), repo.path);
        const connection = await connectClient(config);
        try {
          const client = new Client({ connection, namespace: config.namespace });
          const sub = await submitLane(client, config.taskQueue, packet);
          out.info(`lane ${sub.laneId} started (provider: ${opts.provider}${opts.provider === 'scripted' ? ', scripted offline agent' : ''})`);
          if (out.format === 'text') await followEvents(client, sub.laneId, (e) => out.info(renderEvent(e)));
          const report = await waitForReport(client, sub.laneId);
          const mainLog = await repo.git('log', '--oneline', '-5', repo.baseBranch);
          const webUi = uiBase ? `${uiBase}/namespaces/${config.namespace}/workflows/${sub.workflowId}` : null;
          out.result({ report, repo: repo.path, targetLog: mainLog.split('\n'), webUi }, (v) =>
            `${renderReport(v.report)}\n\n${repo.baseBranch} of ${v.repo} now:\n  ${v.targetLog.join('\n  ')}\n\nWeb UI: ${v.webUi ?? `unknown (no Web UI answered next to the server at ${config.address}; open your server's UI and find workflow ${sub.workflowId})`}${server && !opts.keep ? ' (the demo stops its server on exit; use --keep, or run `lanes up`, to browse it)' : ''}`,
          );
          if (opts.keep) {
            out.info('server and worker keep running; Ctrl-C stops them');
            await untilSignal();
          }
          return report.state === 'finished' ? 0 : 1;
        } finally {
          await connection.close();
        }
      } finally {
        worker.shutdown();
        await running;
        await server?.stop();
      }
    }),
  );
}
