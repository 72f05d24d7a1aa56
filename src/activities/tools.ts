// Activity wrapper around the agent's built-in tools: checks the worktree is the lane's,
// runs the call once, records the result (and any refusal) in the lane artifact folder.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { laneFailure } from '../failures.js';
import { runTool, type ToolCall, type ToolResult, ToolResultSchema } from '../tools/run-tool.js';
import type { PermissionMode } from '../tools/permissions.js';
import type { SandboxSettings } from '../sandbox/plan.js';
import { activityCancellationSignal, startHeartbeat, throwIfActivityCancelled } from './activity-context.js';
import { createArtifactStore, type ArtifactStore } from './artifacts.js';
import { assertLanePath } from '../git/worktrees.js';
import { resolveInWorktree as confine } from '../tools/confine.js';
import { declareSecretNames } from '../redact/secrets.js';
import { z } from 'zod';

/** Recorded before a file edit runs (tools/<turn>-<callId>.intent.json): the file's hash before the edit. */
const EditIntentSchema = z.object({ path: z.string(), before: z.string().nullable() });
import { type FaultInjector, NO_FAULTS } from '../faults/index.js';

// The tool surface other modules (model loop, agent activities) use, exported at this boundary.
export { runTool, type RunToolOptions, type ToolCall, type ToolResult } from '../tools/run-tool.js';
export { resolveInWorktree, type ConfinedPath } from '../tools/confine.js';
export { TOOL_SPECS, TOOL_NAMES, type ToolName, type ToolSpec } from '../tools/specs.js';
export { toolsFor, allowedToolNames, type PermissionMode } from '../tools/permissions.js';
export { ToolRefusal, ToolError } from '../tools/tool-errors.js';

export const REFUSALS_FILE = 'refusals.jsonl';

export interface RunToolCallInput {
  laneId: string;
  /** Must be `${home}/worktrees/${laneId}` (compared by realpath). */
  worktreePath: string;
  /** Agent turn number; with the call id it keys the saved result. */
  turn: number;
  call: ToolCall;
  permissionMode: PermissionMode;
  allowlist?: string[];
  writeManifest?: string[];
  /** The packet's `sandbox` section; absent = defaults (no network, credentials hidden). */
  sandbox?: Partial<SandboxSettings>;
  /** The packet's `secrets` names. */
  secrets?: string[];
}

/** One line of refusals.jsonl. */
export interface RefusalRecord {
  ts: string;
  laneId: string;
  turn: number;
  callId: string;
  tool: string;
  class: string;
  reason: string;
}

export interface ToolActivities {
  runToolCall(input: RunToolCallInput): Promise<ToolResult>;
}

export interface ToolActivitiesOptions {
  home: string;
  artifacts?: ArtifactStore;
  /** Heartbeat interval while bash runs, ms (default 5000; Temporal throttles further). */
  heartbeatIntervalMs?: number;
  /** Worker config: packets may ask for `sandbox.network: host`. */
  allowHostNetwork?: boolean;
  /** Kill points for drills and chaos (default NO_FAULTS: nothing fires). */
  faults?: FaultInjector;
}

/** Provider call ids are usually file-name safe; anything else is hashed into one. */
function callKey(callId: string): string {
  return /^[A-Za-z0-9_-]{1,128}$/.test(callId) ? callId : `h${createHash('sha256').update(callId).digest('hex').slice(0, 32)}`;
}

/** Where the result of tool call `callId` in agent turn `turn` is saved, relative to the lane folder. */
export function toolResultFile(turn: number, callId: string): string {
  return `tools/${turn}-${callKey(callId)}.json`;
}

function targetOf(input: unknown): string | undefined {
  const p = (input as { path?: unknown } | null)?.path;
  return typeof p === 'string' ? p : undefined;
}

/** sha256 of a worktree file, null when it does not exist (or is not a plain file inside root). */
function fileHash(root: string, rel: string): string | null {
  try {
    const { real } = confine(root, rel);
    return createHash('sha256').update(readFileSync(real)).digest('hex');
  } catch {
    return null;
  }
}

export function createToolActivities({ home, artifacts, heartbeatIntervalMs = 5_000, allowHostNetwork = false, faults = NO_FAULTS }: ToolActivitiesOptions): ToolActivities {
  const store = artifacts ?? createArtifactStore({ home });

  const logRefusal = async (laneId: string, turn: number, result: ToolResult): Promise<void> => {
    if (!result.refused) return;
    const text = store.readText(laneId, REFUSALS_FILE) ?? '';
    const already = text.split('\n').some((line) => {
      if (!line) return false;
      const r = JSON.parse(line) as Partial<RefusalRecord>;
      return r.turn === turn && r.callId === result.callId;
    });
    if (already) return;
    const record: RefusalRecord = {
      ts: new Date().toISOString(),
      laneId,
      turn,
      callId: result.callId,
      tool: result.name,
      class: result.refused.class,
      reason: result.refused.reason,
    };
    await store.appendLine(laneId, REFUSALS_FILE, JSON.stringify(record));
  };

  return {
    /**
     * Runs one agent tool call inside the lane worktree and saves its result to
     * `lanes/<laneId>/tools/<turn>-<callId>.json`; refusals are also appended to refusals.jsonl.
     * Failure semantics: idempotent per (laneId, turn, call.id) — a retry returns the saved
     * result without running the tool again (a crash before the save re-runs it). Refusals and
     * tool errors are results, not failures; a foreign worktree fails `workspace_mismatch`,
     * a broken host `infra`; a cancel kills a running bash and rethrows the cancellation.
     */
    async runToolCall(input) {
      const { laneId, turn, call } = input;
      declareSecretNames(input.secrets);
      if (!Number.isSafeInteger(turn) || turn < 0) {
        throw laneFailure('infra', `turn ${String(turn)} for lane ${laneId} is not a non-negative integer`, { hint: 'Pass the agent turn number.' });
      }
      const root = assertLanePath(home, laneId, input.worktreePath, { mustExist: true });
      const relPath = toolResultFile(turn, call.id);

      const saved = store.readJson(laneId, relPath, ToolResultSchema);
      if (saved) {
        await logRefusal(laneId, turn, saved);
        return saved;
      }

      // edit_file is not idempotent (an insertion after an anchor applies twice), so a
      // file edit records the file's hash first: a retry after a crash that finds the
      // file changed since then knows the edit landed and does not apply it again.
      const editPath = call.name === 'edit_file' || call.name === 'write_file' ? targetOf(call.input) : undefined;
      const intentPath = `${relPath.replace(/\.json$/, '')}.intent.json`;
      if (editPath !== undefined) {
        const intent = store.readJson(laneId, intentPath, EditIntentSchema);
        if (intent && intent.path === editPath && fileHash(root, editPath) !== intent.before) {
          const recovered: ToolResult = { callId: call.id, name: call.name, ok: true, output: `${call.name} ${editPath}: applied (recovered after a worker restart)`, durationMs: 0 };
          await store.writeJson(laneId, relPath, recovered);
          return recovered;
        }
        if (!intent) await store.writeJson(laneId, intentPath, { path: editPath, before: fileHash(root, editPath) });
      }

      const stopHeartbeat =
        call.name === 'bash' ? startHeartbeat(() => ({ tool: call.name, callId: call.id, turn }), heartbeatIntervalMs) : () => {};
      let result: ToolResult;
      try {
        result = await runTool({
          root,
          call,
          permissionMode: input.permissionMode,
          allowlist: input.allowlist,
          writeManifest: input.writeManifest,
          signal: activityCancellationSignal(),
          sandbox: { home, settings: input.sandbox, secrets: input.secrets, allowHostNetwork },
        });
      } finally {
        stopHeartbeat();
      }
      // A cancelled call is not a result to replay: record nothing.
      throwIfActivityCancelled();
      await faults.point('mid_tool', { home, laneId, turn, tool: call.name, callId: call.id });
      await store.writeJson(laneId, relPath, result);
      await logRefusal(laneId, turn, result);
      return result;
    },
  };
}
