// Starting the board for a Lanes home: the server, plus its record in board.json so
// `lanes open` and new lanes' Details can link to it.
import type { Client } from '@temporalio/client';
import { removeBoardRecord, writeBoardRecord } from './discovery.js';
import { type BoardServer, startBoardServer } from './server.js';

export interface LaunchBoardOptions {
  client: Client;
  home: string;
  namespace: string;
  host?: string;
  port: number;
  token?: string;
  webUiUrl: string | null;
  refreshMs?: number;
}

export interface LaunchedBoard extends BoardServer {
  webUiUrl: string | null;
}

export async function launchBoard(opts: LaunchBoardOptions): Promise<LaunchedBoard> {
  // Every page, JSON body and SSE message goes through the same redaction as recorded text.
  const { redact } = await import('../redact/secrets.js');
  const server = await startBoardServer({ ...opts, redact });
  writeBoardRecord(opts.home, { url: server.url, webUiUrl: opts.webUiUrl, namespace: opts.namespace, pid: process.pid, tokenRequired: server.tokenRequired });
  return {
    ...server,
    webUiUrl: opts.webUiUrl,
    async close() {
      removeBoardRecord(opts.home);
      await server.close();
    },
  };
}
