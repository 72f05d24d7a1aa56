// MCP activities: start a lane's servers, call their tools, stop them. Host-bound:
// the processes live in this worker, held by the injected McpRegistry, so these
// run on the lane's host task queue. Files in `lanes/<laneId>/`:
//   mcp-report.json   the latest report      mcp-stderr.log  every server's stderr
//   mcp-pids.json     live server pids       tools/mcp-<callId>.json  recorded tool calls
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { join } from 'node:path';
import type { McpRegistry } from '../mcp/registry.js';
import type { McpReport } from '../mcp/report.js';
import type { McpSessionOptions, McpToolCallResult } from '../mcp/session.js';
import { capText } from '../tools/output-cap.js';
import { FailureClassSchema, laneFailure } from '../failures.js';
import { activityCancellationSignal, startHeartbeat, throwIfActivityCancelled } from './activity-context.js';
import { assertSafeSegment, createArtifactStore } from './artifacts.js';
import { type FaultInjector, NO_FAULTS } from '../faults/index.js';

export const MCP_REPORT_FILE = 'mcp-report.json';
export const MCP_STDERR_LOG = 'mcp-stderr.log';
export const MCP_PID_FILE = 'mcp-pids.json';
/** Tool output returned to the workflow is capped (head and tail kept); the full text stays in the call record. */
export const MCP_OUTPUT_LIMIT_CHARS = 20_000;
const HEARTBEAT_MS = 5_000;

export interface McpActivityDeps {
  /** $LANES_HOME. */
  home: string;
  /** The worker process's registry; one per worker. */
  registry: McpRegistry;
  /** Kill points for drills and chaos (default NO_FAULTS: nothing fires). */
  faults?: FaultInjector;
}

export interface StartMcpInput {
  laneId: string;
  /** The packet's `mcp.servers`, unvalidated: invalid entries become `config` failures. */
  servers: Record<string, unknown>;
  /** Working directory for stdio servers. Default: the lane worktree when it exists. */
  cwd?: string;
}

export interface CallMcpToolInput extends StartMcpInput {
  /** `mcp__<server>__<tool>`. */
  qualifiedName: string;
  args: Record<string, unknown>;
  /** Idempotency key of this call within the lane (e.g. `<turn>-<toolUseId>`); letters, digits, ".", "_", "-". */
  callId?: string;
  /** Per-call deadline in ms. Default: the server's callTimeoutMs. */
  timeoutMs?: number;
}

export interface StopMcpInput {
  laneId: string;
}

/** One MCP tool call's saved result (a retry returns it instead of calling the tool again). */
const CallRecordSchema = z.object({
  qualifiedName: z.string(),
  result: z.object({ ok: z.boolean(), output: z.string(), class: FailureClassSchema.optional(), restarted: z.boolean() }),
});
type CallRecord = z.infer<typeof CallRecordSchema>;

export function createMcpActivities({ home, registry, faults = NO_FAULTS }: McpActivityDeps) {
  const store = createArtifactStore({ home });

  const sessionOptions = (laneId: string, cwd: string | undefined): McpSessionOptions => {
    const worktree = join(home, 'worktrees', laneId);
    return {
      cwd: cwd ?? (existsSync(worktree) ? worktree : undefined),
      logFile: store.pathOf(laneId, MCP_STDERR_LOG),
      pidFile: store.pathOf(laneId, MCP_PID_FILE),
    };
  };

  const ensure = async (laneId: string, servers: Record<string, unknown>, cwd: string | undefined) => {
    const stopHeartbeat = startHeartbeat(() => ({ laneId, phase: 'mcp-start' }), HEARTBEAT_MS);
    try {
      return await registry.ensure(laneId, servers, sessionOptions(laneId, cwd));
    } finally {
      stopHeartbeat();
    }
  };

  return {
    /**
     * Starts the lane's MCP servers in this worker (validate, spawn/connect,
     * initialize, discover; one restart per failing server) and saves the
     * report to `lanes/<laneId>/mcp-report.json`. Server failures are in the
     * report, never thrown; the workflow decides (requiredFailed) what they mean.
     * Failure semantics: idempotent per laneId — a retry in the same worker
     * returns the live session's report without spawning anything; in a new
     * worker (after a crash) it reaps the recorded orphans, re-spawns the
     * servers and overwrites the report.
     */
    async startMcp({ laneId, servers, cwd }: StartMcpInput): Promise<McpReport> {
      assertSafeSegment('lane id', laneId);
      const { report } = await ensure(laneId, servers, cwd);
      await store.writeJson(laneId, MCP_REPORT_FILE, report);
      await faults.point('after_mcp_startup', { home, laneId });
      return report;
    },

    /**
     * Calls one MCP tool, starting the lane's servers first if this worker has
     * none (e.g. after a worker restart). Never throws for tool failures: they
     * are `ok: false` results (class tool_runtime); a server that dies mid-call
     * is restarted once and the call retried once. Output is capped at
     * MCP_OUTPUT_LIMIT_CHARS. Throws only when the activity is cancelled.
     * Failure semantics: idempotent per (laneId, callId) — the result is
     * recorded in `tools/mcp-<callId>.json` and a retry returns it without
     * calling the tool again; without a callId a retry calls the tool again.
     */
    async callMcpTool({ laneId, servers, qualifiedName, args, callId, timeoutMs, cwd }: CallMcpToolInput): Promise<McpToolCallResult> {
      assertSafeSegment('lane id', laneId);
      const recordPath = callId === undefined ? undefined : `tools/mcp-${callId}.json`;
      if (callId !== undefined && recordPath !== undefined) {
        assertSafeSegment('MCP call id', callId);
        const recorded = store.readJson(laneId, recordPath, CallRecordSchema);
        if (recorded) {
          if (recorded.qualifiedName !== qualifiedName) {
            throw laneFailure('tool_runtime', `MCP call id ${callId} of lane ${laneId} was already used for ${recorded.qualifiedName}, not ${qualifiedName}`, {
              hint: 'Give every tool call in a lane its own callId.',
            });
          }
          return capResult(recorded.result, store.pathOf(laneId, recordPath));
        }
      }
      const { session, report, started } = await ensure(laneId, servers, cwd);
      // Re-spawned in this worker (e.g. after a restart): the saved report must describe these processes.
      if (started) await store.writeJson(laneId, MCP_REPORT_FILE, report);
      const stopHeartbeat = startHeartbeat(() => ({ laneId, qualifiedName, callId }), HEARTBEAT_MS);
      let result: McpToolCallResult;
      try {
        result = await session.callTool(qualifiedName, args, { timeoutMs, signal: activityCancellationSignal() });
      } finally {
        stopHeartbeat();
      }
      if (result.class === 'cancelled') throwIfActivityCancelled();
      if (recordPath === undefined) return capResult(result, undefined);
      const record: CallRecord = { qualifiedName, result };
      return capResult(result, await store.writeJson(laneId, recordPath, record));
    },

    /**
     * The lane's MCP tools as the agent sees them (`mcp__<server>__<tool>`),
     * starting the servers in this worker if it has none (after a restart).
     * Failure semantics: idempotent per laneId — a read of the live session.
     */
    async listMcpTools({ laneId, servers, cwd }: StartMcpInput): Promise<{ name: string; description: string; inputSchema: Record<string, unknown> }[]> {
      assertSafeSegment('lane id', laneId);
      const { session, report, started } = await ensure(laneId, servers, cwd);
      if (started) await store.writeJson(laneId, MCP_REPORT_FILE, report);
      return session.tools().map((t) => ({ name: t.qualifiedName, description: t.description ?? '', inputSchema: t.inputSchema as Record<string, unknown> }));
    },

    /**
     * Stops the lane's MCP servers and makes sure their processes are dead.
     * `stopped` counts servers closed (plus orphans of a crashed worker reaped
     * from the pid record); `survivors` lists pids that outlived SIGKILL.
     * Failure semantics: idempotent per laneId — a retry finds nothing left
     * and returns `{ stopped: 0, survivors: [] }`.
     */
    async stopMcp({ laneId }: StopMcpInput): Promise<{ stopped: number; survivors: number[] }> {
      assertSafeSegment('lane id', laneId);
      return registry.stop(laneId, { pidFile: store.pathOf(laneId, MCP_PID_FILE) });
    },
  };
}

export type McpActivities = ReturnType<typeof createMcpActivities>;

function capResult(result: McpToolCallResult, fullPath: string | undefined): McpToolCallResult {
  if (result.output.length <= MCP_OUTPUT_LIMIT_CHARS) return result;
  const note = fullPath ? `\n[full output: ${fullPath}]` : '';
  return { ...result, output: capText(result.output, MCP_OUTPUT_LIMIT_CHARS) + note };
}
