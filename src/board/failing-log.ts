// The failing test command's log tail for a lane page: located through the last
// `lane.red` event, read only from inside that lane's artifact folder, capped.
import { closeSync, existsSync, openSync, readSync, realpathSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';
import type { LaneEvent } from '../workflows/events.js';

/** Characters of a failing log shown on the lane page. */
export const LOG_TAIL_CHARS = 4_000;

export interface FailingLog {
  level: string;
  command: string;
  exitCode: number | null;
  timedOut: boolean;
  logPath: string;
  /** The last LOG_TAIL_CHARS characters, cut at a line start. */
  tail: string;
  /** Why the log could not be read, if it could not. */
  unreadable: string | null;
}

interface RedResult {
  name?: unknown;
  exitCode?: unknown;
  timedOut?: unknown;
  logPath?: unknown;
}

/** The failing command of the lane's last red run, if its event names one. */
export function lastFailingCommand(events: readonly LaneEvent[]): { level: string; result: RedResult } | null {
  const red = [...events].reverse().find((e) => e.type === 'lane.red' && Array.isArray(e.data.results));
  if (!red) return null;
  const results = red.data.results as RedResult[];
  const failed = [...results].reverse().find((r) => r.timedOut === true || r.exitCode !== 0);
  return failed ? { level: String(red.data.level ?? ''), result: failed } : null;
}

/** Reads the last `maxChars` of a file without loading all of it. */
export function readTail(path: string, maxChars = LOG_TAIL_CHARS): string {
  const size = statSync(path).size;
  // UTF-8: up to 4 bytes a character.
  const bytes = Math.min(size, maxChars * 4);
  const buf = Buffer.alloc(bytes);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, buf, 0, bytes, size - bytes);
  } finally {
    closeSync(fd);
  }
  let text = buf.toString('utf8');
  if (text.length > maxChars) {
    text = text.slice(-maxChars);
    const nl = text.indexOf('\n');
    if (nl >= 0 && nl < text.length - 1) text = text.slice(nl + 1);
  }
  return text;
}

/**
 * The failing log of a lane, or null when its events name none. Event data is not
 * trusted as a path: only a file inside `<home>/lanes/<laneId>/` is read.
 */
export function failingLog(home: string, laneId: string, events: readonly LaneEvent[], redact: (s: string) => string): FailingLog | null {
  const found = lastFailingCommand(events);
  if (!found) return null;
  const { result } = found;
  const logPath = typeof result.logPath === 'string' ? result.logPath : '';
  const base: Omit<FailingLog, 'tail' | 'unreadable'> = {
    level: found.level,
    command: typeof result.name === 'string' ? result.name : '(unnamed)',
    exitCode: typeof result.exitCode === 'number' ? result.exitCode : null,
    timedOut: result.timedOut === true,
    logPath,
  };
  const folder = join(home, 'lanes', laneId);
  if (!logPath || !existsSync(logPath) || !existsSync(folder)) return { ...base, tail: '', unreadable: `the log ${logPath || '(none recorded)'} is not on this machine` };
  const real = realpathSync(logPath);
  if (!real.startsWith(realpathSync(folder) + sep)) return { ...base, tail: '', unreadable: `the recorded log path is outside the lane's folder; not shown` };
  try {
    return { ...base, tail: redact(readTail(real)), unreadable: null };
  } catch (e) {
    return { ...base, tail: '', unreadable: `the log could not be read: ${(e as Error).message}` };
  }
}
