// `lanes board --web` (options added to the run board command in board.ts) and the
// board `lanes up` serves. The board modules load only when used, so other commands start fast.
import type { Command } from 'commander';
import type { LanesConfig } from '../../config.js';
import { intOption } from '../context.js';
import type { Output } from '../output.js';
import { untilSignal } from './server.js';

export interface WebBoardFlags {
  web?: boolean;
  port: number;
  host: string;
  webUiUrl?: string;
}

/** The board line both `lanes board --web` and `lanes up` print. */
export function describeBoard(b: { url: string; host: string; port: number; tokenRequired: boolean; webUiUrl: string | null }) {
  return { url: b.url, host: b.host, port: b.port, tokenRequired: b.tokenRequired, readOnly: true, webUiUrl: b.webUiUrl };
}

export function addWebBoardOptions(cmd: Command): Command {
  return cmd
    .option('--web', 'serve the web board (a live table of lanes, read-only) instead of printing')
    .option('--port <n>', 'web board port (0 = any free port)', intOption('--port', 0), 8234)
    .option('--host <address>', 'web board bind address; anything but loopback needs LANES_BOARD_TOKEN', '127.0.0.1')
    .option('--web-ui-url <url>', 'Temporal Web UI base URL for links (env LANES_WEB_UI_URL; default: the dev server pairing, gRPC port + 1000)');
}

export async function serveWebBoard(out: Output, config: LanesConfig, flags: WebBoardFlags): Promise<number> {
  const [{ launchBoard }, { defaultWebUiUrl }, { withClient }] = await Promise.all([import('../../board/launch.js'), import('../../board/discovery.js'), import('../temporal.js')]);
  return withClient(config, async (client) => {
    const board = await launchBoard({
      client,
      home: config.home,
      namespace: config.namespace,
      host: flags.host,
      port: flags.port,
      token: process.env.LANES_BOARD_TOKEN,
      webUiUrl: flags.webUiUrl ?? defaultWebUiUrl(config.address),
    });
    try {
      out.line({ event: 'board.ready', ...describeBoard(board) }, (v) =>
        `Lanes web board: ${v.url}${v.tokenRequired ? ' (token required: LANES_BOARD_TOKEN)' : ''}\n  read-only; Temporal Web UI links: ${v.webUiUrl ?? '-'}\nPress Ctrl-C to stop.`,
      );
      const signal = await untilSignal();
      out.line({ event: 'board.stopped', signal }, () => 'Lanes web board stopped');
      return 0;
    } finally {
      await board.close();
    }
  });
}

/**
 * The board `lanes up` runs beside the Web UI: its own Temporal connection, closed with
 * the board. Loopback only unless LANES_BOARD_TOKEN is set (then still 127.0.0.1: `up`
 * never widens the bind; use `lanes board --web --host` for that).
 */
export async function startBoardForUp(config: LanesConfig, port: number, webUiUrl: string | null): Promise<{ info: ReturnType<typeof describeBoard>; close(): Promise<void> }> {
  const [{ Client }, { launchBoard }, { connectClient }] = await Promise.all([import('@temporalio/client'), import('../../board/launch.js'), import('../temporal.js')]);
  const connection = await connectClient(config);
  try {
    const board = await launchBoard({ client: new Client({ connection, namespace: config.namespace }), home: config.home, namespace: config.namespace, port, token: process.env.LANES_BOARD_TOKEN, webUiUrl });
    return {
      info: describeBoard(board),
      async close() {
        await board.close();
        await connection.close();
      },
    };
  } catch (e) {
    await connection.close();
    throw e;
  }
}
