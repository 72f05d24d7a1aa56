// Runs the tool calls of a saved model turn: built-in tools in the worktree, or
// MCP tools (`mcp__<server>__<tool>`) through the lane's MCP session. The call's
// input is read from the lane folder, so workflow history carries only its id.
import type { PermissionMode } from '../packet/schema.js';
import type { SandboxSettings } from '../sandbox/plan.js';
import { toolUses } from '../providers/types.js';
import { type ToolResult, ToolResultSchema } from '../tools/run-tool.js';
import { isQualifiedMcpToolName } from '../mcp/tool-names.js';
import { laneFailure } from '../failures.js';
import type { ArtifactStore } from './artifacts.js';
import type { McpActivities } from './mcp.js';
import { type SavedTurn, turnFile } from './model.js';
import { type ToolActivities, toolResultFile } from './tools.js';
import { type FaultInjector, NO_FAULTS } from '../faults/index.js';

export interface ExecuteToolCallInput {
  laneId: string;
  worktreePath: string;
  turn: number;
  callId: string;
  permissionMode: PermissionMode;
  allowlist?: string[];
  writeManifest?: string[];
  /** The packet's `sandbox` section and `secrets` names (absent = defaults). */
  sandbox?: Partial<SandboxSettings>;
  secrets?: string[];
  mcpServers: Record<string, unknown>;
}

/** What the workflow sees of a tool call: no output (that stays in the lane folder). */
export interface ToolCallSummary {
  callId: string;
  name: string;
  ok: boolean;
  refused?: ToolResult['refused'];
  outputChars: number;
}

const summarize = (r: ToolResult): ToolCallSummary => ({ callId: r.callId, name: r.name, ok: r.ok, ...(r.refused ? { refused: r.refused } : {}), outputChars: r.output.length });

export function createToolCallActivities(deps: { store: ArtifactStore; tools: ToolActivities; mcp: McpActivities; faults?: FaultInjector }) {
  const faults = deps.faults ?? NO_FAULTS;
  return {
    /**
     * Runs one tool call of a saved turn.
     * Failure semantics: idempotent per (laneId, turn, callId) — the result is saved
     * to tools/<turn>-<callId>.json and a retry returns it without running the tool again.
     */
    async executeToolCall(input: ExecuteToolCallInput): Promise<ToolCallSummary> {
      const { store } = deps;
      const saved = store.readJson<SavedTurn>(input.laneId, turnFile(input.turn));
      const call = saved && toolUses(saved.reply.content).find((t) => t.id === input.callId);
      if (!call) throw laneFailure('infra', `lane ${input.laneId} turn ${input.turn} has no tool call ${input.callId} on this host`, { hint: 'The lane folder is missing or from another host; retry re-runs the turn.' });
      if (!isQualifiedMcpToolName(call.name)) {
        return summarize(
          await deps.tools.runToolCall({
            laneId: input.laneId,
            worktreePath: input.worktreePath,
            turn: input.turn,
            call: { id: call.id, name: call.name, input: call.input },
            permissionMode: input.permissionMode,
            allowlist: input.allowlist,
            writeManifest: input.writeManifest,
            sandbox: input.sandbox,
            secrets: input.secrets,
          }),
        );
      }
      const path = toolResultFile(input.turn, call.id);
      const done = store.readJson(input.laneId, path, ToolResultSchema);
      if (done) return summarize(done);
      const allowed = !input.allowlist || input.allowlist.includes(call.name);
      const started = Date.now();
      let result: ToolResult;
      if (!allowed) {
        const reason = `${call.name} is not in the packet's tool allowlist`;
        result = { callId: call.id, name: call.name, ok: false, output: `refused: ${reason}`, refused: { class: 'manifest', reason }, durationMs: 0 };
      } else {
        const r = await deps.mcp.callMcpTool({ laneId: input.laneId, servers: input.mcpServers, qualifiedName: call.name, args: call.input, callId: `${input.turn}-${call.id}`.replace(/[^A-Za-z0-9._-]/g, '_'), cwd: input.worktreePath });
        result = { callId: call.id, name: call.name, ok: r.ok, output: r.ok ? r.output : `[${r.class ?? 'tool_runtime'}] ${r.output}`, durationMs: Date.now() - started };
      }
      await faults.point('mid_tool', { home: store.home, laneId: input.laneId, turn: input.turn, tool: call.name, callId: call.id });
      store.writeJson(input.laneId, path, result);
      return summarize(result);
    },
  };
}
