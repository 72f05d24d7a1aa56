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
import { SavedTurnSchema, turnFile } from './model.js';
import { REFUSALS_FILE, type ToolActivities, toolResultFile } from './tools.js';
import { type FaultInjector, NO_FAULTS } from '../faults/index.js';
import { type ApprovalPolicy, decideApproval } from '../tools/approvals.js';
import { allowedToolNames } from '../tools/permissions.js';
import { isToolName } from '../tools/specs.js';

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
  /** The packet's `agent.approvals`; absent: every call the mode allows runs. */
  approvals?: ApprovalPolicy;
  /** The operator's decision on this call's approval request (it asked before). */
  approval?: { requestId: string; decision: 'approve' | 'deny'; text?: string; by?: string };
}

/** What the workflow sees of a tool call: no output (that stays in the lane folder). */
export interface ToolCallSummary {
  callId: string;
  name: string;
  ok: boolean;
  refused?: ToolResult['refused'];
  outputChars: number;
  /** The approval rules hold this call: nothing ran, nothing was saved; the workflow asks a person. */
  needsApproval?: { tool: string; call: string; rule: string | null };
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
      const saved = store.readJson(input.laneId, turnFile(input.turn), SavedTurnSchema);
      const call = saved && toolUses(saved.reply.content).find((t) => t.id === input.callId);
      if (!call) throw laneFailure('infra', `lane ${input.laneId} turn ${input.turn} has no tool call ${input.callId} on this host`, { hint: 'The lane folder is missing or from another host; retry re-runs the turn.' });
      const held = await approvalGate(store, input, call);
      if (held) return held;
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
      await store.writeJson(input.laneId, path, result);
      return summarize(result);
    },
  };
}

/**
 * The approval rules for one call, before it runs: undefined lets it run; otherwise the
 * summary to return (held for a person, or refused). A saved result always wins (a retry),
 * and a call the permission mode refuses anyway is never put to a person.
 */
async function approvalGate(store: ArtifactStore, input: ExecuteToolCallInput, call: { id: string; name: string; input: unknown }): Promise<ToolCallSummary | undefined> {
  const path = toolResultFile(input.turn, call.id);
  const saved = store.readJson(input.laneId, path, ToolResultSchema);
  if (saved) return summarize(saved);
  if (input.approval?.decision === 'approve') return undefined;
  let reason: string;
  if (input.approval?.decision === 'deny') {
    const by = input.approval.by ? ` (${input.approval.by})` : '';
    reason = `tool call ${call.name} was denied by the operator${by}${input.approval.text ? `: ${input.approval.text}` : ''}`;
  } else {
    if (!input.approvals) return undefined;
    if (isToolName(call.name) && !allowedToolNames(input.permissionMode, input.allowlist).includes(call.name)) return undefined;
    const verdict = decideApproval(input.approvals, call.name, call.input);
    if (verdict.decision === 'allow') return undefined;
    if (verdict.decision === 'ask') return { callId: call.id, name: call.name, ok: false, outputChars: 0, needsApproval: { tool: call.name, call: verdict.argument, rule: verdict.rule } };
    reason = `tool call ${call.name} refused by the approval rule ${verdict.rule ?? `default (${input.approvals.default})`}`;
  }
  const result: ToolResult = {
    callId: call.id,
    name: call.name,
    ok: false,
    output: `refused (permission): ${reason}. Do not repeat this call; continue the task another way or explain why it is needed.`,
    refused: { class: 'manifest', reason },
    durationMs: 0,
  };
  await store.writeJson(input.laneId, path, result);
  await store.appendLine(input.laneId, REFUSALS_FILE, JSON.stringify({ ts: new Date().toISOString(), laneId: input.laneId, turn: input.turn, callId: call.id, tool: call.name, class: 'manifest', reason }));
  return summarize(result);
}
