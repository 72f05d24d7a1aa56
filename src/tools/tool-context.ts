// What every built-in tool handler receives besides its input.
import type { PermissionMode } from './permissions.js';

export interface ToolContext {
  /** realpath of the lane worktree; all file tools are confined to it. */
  root: string;
  permissionMode: PermissionMode;
  /** Globs (relative to the worktree) that file writes must match; undefined = no manifest. */
  writeManifest?: readonly string[];
  /** Aborting stops a running bash command (its process group is killed). */
  signal?: AbortSignal;
}

export interface ToolOutcome {
  ok: boolean;
  output: string;
}
