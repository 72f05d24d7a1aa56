// What every built-in tool handler receives besides its input.
import type { SandboxSettings } from '../sandbox/plan.js';
import type { PermissionMode } from './permissions.js';

/** How lane commands are confined on this worker (src/sandbox). */
export interface ToolSandbox {
  /** $LANES_HOME: hidden from lane commands except the lane's own worktree. */
  home: string;
  /** The packet's `sandbox` section. */
  settings?: Partial<SandboxSettings>;
  /** The packet's `secrets`: worker variables passed through (and redacted where recorded). */
  secrets?: readonly string[];
  /** Worker config: packets may ask for host network. */
  allowHostNetwork?: boolean;
}

export interface ToolContext {
  /** realpath of the lane worktree; all file tools are confined to it. */
  root: string;
  permissionMode: PermissionMode;
  /** Globs (relative to the worktree) that file writes must match; undefined = no manifest. */
  writeManifest?: readonly string[];
  /** Aborting stops a running bash command (its process group is killed). */
  signal?: AbortSignal;
  sandbox: ToolSandbox;
}

export interface ToolOutcome {
  ok: boolean;
  output: string;
}
