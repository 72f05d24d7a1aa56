// A one-shot health check of MCP server entries (`lanes mcp check`): the full
// lifecycle — validate, start, discover — and then stop everything again.
import { validateServers } from './config.js';
import { diagnoseConfigIssue } from './diagnosis.js';
import { buildReport, type McpFailedServer, type McpReport } from './report.js';
import { McpSession, type McpSessionOptions } from './session.js';

export { requiredFailed, requiredFailures } from './report.js';

/** The longest a whole check may take before it reports what it has (ms). */
export const DEFAULT_CHECK_DEADLINE_MS = 120_000;

export interface CheckOptions extends McpSessionOptions {
  /** Overall deadline in ms; servers still starting then are reported failed and killed. */
  deadlineMs?: number;
}

/**
 * Starts every server, returns the report, and stops them all before
 * returning (no process outlives the call, even when start throws).
 * Each server is bounded by its own startupTimeoutMs (two attempts); the whole
 * check by `deadlineMs`. The caller picks the exit code: 1 when `requiredFailed(report, entries)`.
 */
export async function checkMcpServers(entries: Record<string, unknown>, options: CheckOptions = {}): Promise<McpReport> {
  const deadlineMs = options.deadlineMs ?? DEFAULT_CHECK_DEADLINE_MS;
  const session = new McpSession(options);
  // The session's internal waits use unref'd timers so they never hold a worker open; a
  // one-shot CLI check must not exit mid-wait without a report, so this timer holds it.
  const keepAlive = setInterval(() => undefined, 60_000);
  // Every wait's timer is cleared when the check ends, so a finished check exits at once
  // instead of lingering until its overall deadline.
  const timers = new Set<NodeJS.Timeout>();
  const after = <T>(ms: number, value: T) =>
    new Promise<T>((r) => {
      const t = setTimeout(() => {
        timers.delete(t);
        r(value);
      }, ms);
      timers.add(t);
    });
  const killStarted = () => {
    for (const pid of session.startedPids()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  };
  const starting = session.start(entries);
  let late = false;
  try {
    const first = await Promise.race([starting, after(deadlineMs, 'deadline' as const)]);
    if (first !== 'deadline') return first;
    late = true;
    return deadlineReport(entries, deadlineMs);
  } finally {
    // Past the deadline, whatever is still starting (a retry included) is killed until the session settles.
    let stopped = false;
    const stopping = session.stop().then(() => (stopped = true));
    while (!stopped) {
      if (late) killStarted();
      await Promise.race([stopping, after(500, undefined)]);
    }
    clearInterval(keepAlive);
    for (const t of timers) clearTimeout(t);
  }
}

/** Every valid server reported failed at the overall deadline (invalid ones keep their config failure). */
function deadlineReport(entries: Record<string, unknown>, deadlineMs: number): McpReport {
  const { valid, invalid } = validateServers(entries);
  const configFailures: McpFailedServer[] = invalid.map((issue) => {
    const d = diagnoseConfigIssue(issue);
    return { name: issue.name, failure_mode: 'config', class: 'mcp_config', recoverable: false, message: d.message, recommendation: d.recommendation, attempts: 0 };
  });
  const failed: McpFailedServer[] = Object.keys(valid).map((name) => ({
    name,
    failure_mode: 'handshake',
    class: 'mcp_handshake',
    recoverable: true,
    message: `MCP server "${name}" had not finished starting when the check's overall deadline of ${deadlineMs} ms passed; it was killed.`,
    recommendation: `Check that the server answers MCP initialize on stdin/stdout (or at its url), or raise the deadline with --deadline-ms.`,
    attempts: 1,
  }));
  return buildReport([], [...configFailures, ...failed]);
}
