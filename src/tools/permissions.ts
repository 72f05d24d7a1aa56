// Which built-in tools a lane's agent may call: its packet's permission mode, narrowed
// by an optional allowlist of tool names.
import type { PermissionMode } from '../packet/schema.js';
import { TOOL_NAMES, TOOL_SPECS, type ToolName, type ToolSpec } from './specs.js';

export type { PermissionMode };

const READ_TOOLS: readonly ToolName[] = ['read_file', 'list', 'glob', 'grep'];

/**
 * read_only: look only. workspace_write: also write files and run bash inside an OS sandbox
 * where only the worktree is writable. danger_full_access: the same tools, but bash runs
 * unconfined (it can change anything the worker's user can); file tools stay confined.
 */
const MODE_TOOLS: Record<PermissionMode, readonly ToolName[]> = {
  read_only: READ_TOOLS,
  workspace_write: TOOL_NAMES,
  danger_full_access: TOOL_NAMES,
};

/** Tool names the mode allows, intersected with `allowlist` when one is given (unknown names are ignored). */
export function allowedToolNames(mode: PermissionMode, allowlist?: readonly string[]): ToolName[] {
  const byMode = MODE_TOOLS[mode];
  return allowlist ? byMode.filter((n) => allowlist.includes(n)) : [...byMode];
}

export function toolsFor(mode: PermissionMode, allowlist?: readonly string[]): ToolSpec[] {
  const allowed = new Set<string>(allowedToolNames(mode, allowlist));
  return TOOL_SPECS.filter((s) => allowed.has(s.name));
}
