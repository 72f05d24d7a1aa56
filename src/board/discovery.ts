// Where the board and the Temporal Web UI of this $LANES_HOME are: a running board
// records itself in <home>/board.json, so `lanes open` and `lanes submit` can link to it.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { DEFAULT_BOARD_HOST } from './access.js';
import { isAlive } from '../shell/processes.js';

/** The board's default port: beside the dev server's Web UI (8233). */
export const DEFAULT_BOARD_PORT = 8234;

const BoardRecordSchema = z.object({ url: z.string(), webUiUrl: z.string().nullable(), namespace: z.string(), pid: z.number().int(), tokenRequired: z.boolean() });
export type BoardRecord = z.infer<typeof BoardRecordSchema>;

export function boardRecordPath(home: string): string {
  return join(home, 'board.json');
}

export function writeBoardRecord(home: string, record: BoardRecord): void {
  writeFileSync(boardRecordPath(home), JSON.stringify(record, null, 2) + '\n');
}

/** Removes the record if it is this process's (another board may have replaced it). */
export function removeBoardRecord(home: string, pid = process.pid): void {
  const r = readBoardRecord(home, { requireAlive: false });
  if (r?.pid === pid) rmSync(boardRecordPath(home), { force: true });
}

/** The running board's record, or null (none, unreadable, or its process is gone). */
export function readBoardRecord(home: string, opts: { requireAlive?: boolean } = {}): BoardRecord | null {
  const file = boardRecordPath(home);
  if (!existsSync(file)) return null;
  try {
    const parsed = BoardRecordSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (!parsed.success) return null;
    return opts.requireAlive === false || isAlive(parsed.data.pid) ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * The Web UI of the server at `address`: LANES_WEB_UI_URL, else the dev server's pairing
 * (UI port = gRPC port + 1000, as `temporal server start-dev` does).
 */
export function defaultWebUiUrl(address: string, env: NodeJS.ProcessEnv = process.env): string {
  if (env.LANES_WEB_UI_URL) return env.LANES_WEB_UI_URL.replace(/\/+$/, '');
  const m = /^(.*):(\d+)$/.exec(address);
  const host = m ? m[1]! : address;
  const port = m ? Number(m[2]) + 1000 : 8233;
  return `http://${host}:${port}`;
}

/** The board URL to link to: LANES_BOARD_URL, a running board's record, else the default bind. */
export function boardUrlFor(home: string, env: NodeJS.ProcessEnv = process.env): string {
  if (env.LANES_BOARD_URL) return env.LANES_BOARD_URL.replace(/\/+$/, '');
  return readBoardRecord(home)?.url ?? `http://${DEFAULT_BOARD_HOST}:${DEFAULT_BOARD_PORT}`;
}
