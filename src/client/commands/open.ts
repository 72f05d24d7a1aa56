// `lanes open <lane>`: where to look at a lane — its Temporal Web UI page and its page on
// the web board. Prints the URLs (claws and terminals without a browser need them as text).
import type { Command } from 'commander';
import { action } from '../context.js';

export function registerOpenCommand(program: Command): void {
  program
    .command('open')
    .description("Print a lane's Temporal Web UI URL and its web board URL")
    .argument('<lane>', 'lane id (or workflow id lane-<id>)')
    .option('--web-ui-url <url>', 'Temporal Web UI base URL (env LANES_WEB_UI_URL; default: the running board\'s, else gRPC port + 1000)')
    .action(
      action(async ({ out, config }, lane: string, opts: { webUiUrl?: string }) => {
        const [{ withClient }, lanes, discovery, links] = await Promise.all([
          import('../temporal.js'),
          import('../lanes.js'),
          import('../../board/discovery.js'),
          import('../../board/links.js'),
        ]);
        const laneId = lanes.laneIdFor(lane);
        const workflowId = lanes.workflowIdFor(lane);
        const runId = await withClient(config, async (client) => {
          await lanes.requireLane(client, lane);
          return (await client.workflow.getHandle(workflowId).describe()).runId;
        });
        const record = discovery.readBoardRecord(config.home);
        const webUiBase = opts.webUiUrl ?? (process.env.LANES_WEB_UI_URL ? discovery.defaultWebUiUrl(config.address) : (record?.webUiUrl ?? discovery.defaultWebUiUrl(config.address)));
        const result = {
          laneId,
          workflowId,
          runId,
          webUi: links.webUiLaneUrl(webUiBase, config.namespace, workflowId, runId),
          board: links.boardLaneUrl(discovery.boardUrlFor(config.home), laneId),
          boardRunning: record !== null,
        };
        out.result(result, (r: typeof result) =>
          [`lane ${r.laneId}`, `  web ui: ${r.webUi}`, `  board:  ${r.board}${r.boardRunning ? '' : '  (no board running here: start one with `lanes up` or `lanes board --web`)'}`].join('\n'),
        );
      }),
    );
}
