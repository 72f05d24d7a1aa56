// A one-shot health check of MCP server entries (`lanes mcp check`): the full
// lifecycle — validate, start, discover — and then stop everything again.
import type { McpReport } from './report.js';
import { McpSession, type McpSessionOptions } from './session.js';

export { requiredFailed, requiredFailures } from './report.js';

/**
 * Starts every server, returns the report, and stops them all before
 * returning (no process outlives the call, even when start throws).
 * The caller picks the exit code: 1 when `requiredFailed(report, entries)`.
 */
export async function checkMcpServers(entries: Record<string, unknown>, options: McpSessionOptions = {}): Promise<McpReport> {
  const session = new McpSession(options);
  try {
    return await session.start(entries);
  } finally {
    await session.stop();
  }
}
