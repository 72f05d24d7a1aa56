// The MCP sessions alive in this worker process, by lane. Server processes
// cannot survive a worker restart, so `ensure` re-spawns them when this
// process has no session for the lane (after first reaping what a crashed
// predecessor left behind, when a pid file is kept).
import { reapRecordedProcesses } from './pid-file.js';
import { isAlive } from '../shell/processes.js';
import type { McpReport } from './report.js';
import { McpSession, type McpSessionOptions, type McpStopResult } from './session.js';

export interface McpRegistryOptions {
  /** Session options per lane (log file, pid file, cwd); `ensure` may override them. */
  sessionOptions?: (laneId: string) => McpSessionOptions;
}

export interface EnsuredSession {
  session: McpSession;
  report: McpReport;
  /** True when this call started the servers, false when a live session was reused. */
  started: boolean;
}

interface Entry {
  session: McpSession;
  ready: Promise<McpReport>;
}

export class McpRegistry {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly options: McpRegistryOptions = {}) {}

  /** The lane's session in this process, if any (it may still be starting). */
  get(laneId: string): McpSession | undefined {
    return this.entries.get(laneId)?.session;
  }

  /** Lanes with a session in this process. */
  laneIds(): string[] {
    return [...this.entries.keys()];
  }

  /**
   * The lane's session, starting one from `entries` when this process has none
   * (first start, or after a worker restart). Concurrent calls for one lane
   * share one start. A live session is reused as is, even if `entries` changed.
   */
  async ensure(laneId: string, entries: Record<string, unknown>, options?: McpSessionOptions): Promise<EnsuredSession> {
    const existing = this.entries.get(laneId);
    if (existing) return { session: existing.session, report: await existing.ready, started: false };
    const sessionOptions = { ...this.options.sessionOptions?.(laneId), ...options };
    const session = new McpSession(sessionOptions);
    const ready = (async () => {
      // Servers recorded by an earlier (crashed) worker would otherwise run forever.
      if (sessionOptions.pidFile) await reapRecordedProcesses(sessionOptions.pidFile, sessionOptions.stopGraceMs);
      return session.start(entries);
    })();
    const entry = { session, ready };
    this.entries.set(laneId, entry);
    try {
      return { session, report: await ready, started: true };
    } catch (err) {
      if (this.entries.get(laneId) === entry) this.entries.delete(laneId);
      throw err;
    }
  }

  /**
   * Stops the lane's session and forgets it. With no session in this process,
   * reaps the processes recorded in the lane's pid file (if any) instead.
   * `stopped` counts servers closed plus stale processes reaped.
   */
  async stop(laneId: string, options?: McpSessionOptions): Promise<McpStopResult> {
    const entry = this.entries.get(laneId);
    if (!entry) {
      const pidFile = options?.pidFile ?? this.options.sessionOptions?.(laneId).pidFile;
      if (!pidFile) return { stopped: 0, survivors: [] };
      const reaped = await reapRecordedProcesses(pidFile, options?.stopGraceMs);
      return { stopped: reaped.length, survivors: reaped.filter(isAlive) };
    }
    this.entries.delete(laneId);
    await entry.ready.catch(() => undefined);
    return entry.session.stop();
  }

  /** Stops every session (worker shutdown). */
  async stopAll(): Promise<McpStopResult> {
    const results = await Promise.all(this.laneIds().map((laneId) => this.stop(laneId)));
    return { stopped: results.reduce((n, r) => n + r.stopped, 0), survivors: results.flatMap((r) => r.survivors) };
  }

  /**
   * SIGKILLs every live server process synchronously; for a `process.on('exit')`
   * hook, where nothing asynchronous runs. Returns the pids signalled.
   */
  killAllSync(): number[] {
    const pids = [...this.entries.values()].flatMap((e) => e.session.pids());
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    return pids;
  }
}
