// The MCP report: a public contract read by the lane workflow, `lanes mcp check`
// and automations. Saved as `lanes/<laneId>/mcp-report.json`.
import { z } from 'zod';
import { type FailureClass, FailureClassSchema, assertNever } from '../failures.js';

/** Where a server's lifecycle broke: before spawning, while spawning, in initialize, or in discovery. */
export const MCP_FAILURE_MODES = ['config', 'startup', 'handshake', 'partial'] as const;
export const McpFailureModeSchema = z.enum(MCP_FAILURE_MODES);
export type McpFailureMode = z.infer<typeof McpFailureModeSchema>;

export const McpToolSummarySchema = z.object({ name: z.string(), description: z.string().optional() }).strict();
export const McpResourceSummarySchema = z.object({ uri: z.string(), name: z.string().optional() }).strict();

export const McpHealthyServerSchema = z
  .object({
    name: z.string(),
    tools: z.array(McpToolSummarySchema),
    resources: z.array(McpResourceSummarySchema),
    serverInfo: z.object({ name: z.string(), version: z.string() }).strict(),
  })
  .strict();

export const McpFailedServerSchema = z
  .object({
    name: z.string(),
    failure_mode: McpFailureModeSchema,
    class: FailureClassSchema,
    recoverable: z.boolean(),
    /** What happened, with the command/URL and the server's last stderr lines when known. */
    message: z.string(),
    /** What an operator (or automation) should change, naming the config field. */
    recommendation: z.string(),
    /** Start attempts made: 0 for config failures (never started), else 1 + restarts. */
    attempts: z.number().int().min(0),
  })
  .strict();

export const McpReportSchema = z
  .object({
    healthy: z.array(McpHealthyServerSchema),
    failed: z.array(McpFailedServerSchema),
    /** True when any server failed; the healthy ones stay usable. */
    degraded: z.boolean(),
  })
  .strict();

export type McpToolSummary = z.infer<typeof McpToolSummarySchema>;
export type McpResourceSummary = z.infer<typeof McpResourceSummarySchema>;
export type McpHealthyServer = z.infer<typeof McpHealthyServerSchema>;
export type McpFailedServer = z.infer<typeof McpFailedServerSchema>;
export type McpReport = z.infer<typeof McpReportSchema>;

/** The failure class a mode carries across Temporal and into events. */
export function failureClassForMode(mode: McpFailureMode): FailureClass {
  switch (mode) {
    case 'config':
      return 'mcp_config';
    case 'startup':
      return 'mcp_startup';
    case 'handshake':
    case 'partial':
      return 'mcp_handshake';
    default:
      return assertNever(mode);
  }
}

/** Whether retrying later (restart, reconnect) can help without changing the config. */
export function isRecoverableMode(mode: McpFailureMode): boolean {
  switch (mode) {
    case 'config':
      return false;
    case 'startup':
    case 'handshake':
    case 'partial':
      return true;
    default:
      return assertNever(mode);
  }
}

export interface McpFailureDiagnosis {
  mode: McpFailureMode;
  message: string;
  recommendation: string;
}

export function failedServer(name: string, diagnosis: McpFailureDiagnosis, attempts: number): McpFailedServer {
  return {
    name,
    failure_mode: diagnosis.mode,
    class: failureClassForMode(diagnosis.mode),
    recoverable: isRecoverableMode(diagnosis.mode),
    message: diagnosis.message,
    recommendation: diagnosis.recommendation,
    attempts,
  };
}

/** Assemble a report; entries are sorted by server name so reports diff cleanly. */
export function buildReport(healthy: McpHealthyServer[], failed: McpFailedServer[]): McpReport {
  const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  return {
    healthy: [...healthy].sort(byName),
    failed: [...failed].sort(byName),
    degraded: failed.length > 0,
  };
}

/**
 * Names of failed servers whose entry says `required: true`. Reads the raw
 * entries, so an invalid entry that is marked required still counts.
 */
export function requiredFailures(report: McpReport, entries: Record<string, unknown>): string[] {
  return report.failed
    .filter((f) => {
      const entry = entries[f.name];
      return typeof entry === 'object' && entry !== null && (entry as { required?: unknown }).required === true;
    })
    .map((f) => f.name);
}

/** Whether a required server failed: the lane must not proceed (and `lanes mcp check` exits 1). */
export function requiredFailed(report: McpReport, entries: Record<string, unknown>): boolean {
  return requiredFailures(report, entries).length > 0;
}
