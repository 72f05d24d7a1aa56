// MCP server entries (`mcp.servers.<name>` in a task packet) and their validation.
// Each entry is validated on its own: one bad entry becomes a `config` failure in
// the report while the other servers still start (degraded mode, DESIGN.md §3).
import { z } from 'zod';

/** Server names become part of qualified tool names (`mcp__<server>__<tool>`), so they stay identifier-safe. */
export const MCP_SERVER_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export const DEFAULT_STARTUP_TIMEOUT_MS = 10_000;
export const DEFAULT_CALL_TIMEOUT_MS = 60_000;

const lifecycleFields = {
  /** A required server that fails blocks the lane; an optional one only degrades it. Default false. */
  required: z.boolean().default(false),
  /** Deadline for spawn/connect + initialize, and for each discovery request, in ms. Default 10000. */
  startupTimeoutMs: z.number().int().positive().max(600_000).default(DEFAULT_STARTUP_TIMEOUT_MS),
  /** Deadline for one tools/call, in ms (a call may lower it). Default 60000. */
  callTimeoutMs: z.number().int().positive().max(3_600_000).default(DEFAULT_CALL_TIMEOUT_MS),
};

/** A server Lanes spawns and talks to over stdin/stdout. */
export const McpStdioServerSchema = z
  .object({
    /** Executable, looked up on PATH unless it contains a slash. */
    command: z.string().min(1),
    args: z.array(z.string()).default([]),
    /** Added to a minimal inherited environment (HOME, PATH, SHELL, TERM, USER, LOGNAME); the worker's other variables are not passed. */
    env: z.record(z.string(), z.string()).default({}),
    /** Working directory; relative paths resolve against the session's `cwd` (the lane worktree). */
    cwd: z.string().min(1).optional(),
    ...lifecycleFields,
  })
  .strict();

/** A server Lanes connects to over Streamable HTTP. */
export const McpRemoteServerSchema = z
  .object({
    url: z.url({ protocol: /^https?$/, message: 'must be an http:// or https:// URL' }),
    /** Sent with every request (e.g. Authorization). */
    headers: z.record(z.string(), z.string()).default({}),
    ...lifecycleFields,
  })
  .strict();

/** One validated server entry: stdio (has `command`) or remote (has `url`), never both. */
export const McpServerConfigSchema = z.union([McpStdioServerSchema, McpRemoteServerSchema]);

export type McpStdioServerConfig = z.infer<typeof McpStdioServerSchema>;
export type McpRemoteServerConfig = z.infer<typeof McpRemoteServerSchema>;
export type McpServerConfig = z.infer<typeof McpServerConfigSchema>;
/** What a packet author writes (defaults not yet applied). */
export type McpServerEntry = z.input<typeof McpServerConfigSchema>;

export function isStdioServer(config: McpServerConfig): config is McpStdioServerConfig {
  return 'command' in config;
}

/** A rejected entry: `field` is the dotted path inside the entry (`name` for a bad server name). */
export interface McpConfigIssue {
  name: string;
  field: string;
  message: string;
  /** What to do instead of editing the packet, when that is the fix (e.g. export a variable). */
  hint?: string;
}

export interface McpServersValidation {
  valid: Record<string, McpServerConfig>;
  invalid: McpConfigIssue[];
}

/**
 * Validate every entry independently. Returns the valid configs (defaults
 * applied) and exactly one issue per invalid entry; the issue's message names
 * every bad field as `mcp.servers.<name>.<field>`.
 */
export function validateServers(entries: Record<string, unknown>): McpServersValidation {
  const valid: Record<string, McpServerConfig> = {};
  const invalid: McpConfigIssue[] = [];
  for (const [name, entry] of Object.entries(entries)) {
    const result = validateServer(name, entry);
    if ('config' in result) valid[name] = result.config;
    else invalid.push(result.issue);
  }
  return { valid, invalid };
}

/** Validate one entry; see validateServers. */
export function validateServer(name: string, entry: unknown): { config: McpServerConfig } | { issue: McpConfigIssue } {
  const where = `mcp.servers.${name}`;
  if (!MCP_SERVER_NAME_PATTERN.test(name)) {
    return issue(name, 'name', `${where}: server name must be 1-64 letters, digits, "_" or "-" (it becomes part of tool names like mcp__<server>__<tool>)`);
  }
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    return issue(name, 'command', `${where}: must be an object with either "command" (stdio server) or "url" (remote server)`);
  }
  const hasCommand = 'command' in entry;
  const hasUrl = 'url' in entry;
  if (hasCommand && hasUrl) {
    return issue(name, 'url', `${where}: has both "command" and "url"; keep "command" for a stdio server or "url" for a remote one`);
  }
  if (!hasCommand && !hasUrl) {
    return issue(name, 'command', `${where}: needs "command" (stdio server) or "url" (remote server)`);
  }
  const parsed = (hasCommand ? McpStdioServerSchema : McpRemoteServerSchema).safeParse(entry);
  if (parsed.success) return { config: parsed.data };
  const problems = parsed.error.issues.flatMap((i) => describeIssue(i, hasCommand));
  return issue(name, problems[0]?.field ?? '(entry)', problems.map((p) => `${where}.${p.field}: ${p.text}`).join('; '));
}

function issue(name: string, field: string, message: string): { issue: McpConfigIssue } {
  return { issue: { name, field, message } };
}

function describeIssue(i: z.core.$ZodIssue, stdio: boolean): { field: string; text: string }[] {
  const base = i.path.map(String);
  // Unknown keys are reported on the entry itself; name each key instead.
  if (i.code === 'unrecognized_keys') {
    const allowed = stdio
      ? 'command, args, env, cwd, required, startupTimeoutMs, callTimeoutMs'
      : 'url, headers, required, startupTimeoutMs, callTimeoutMs';
    const text = `unknown field; allowed fields for a ${stdio ? 'stdio' : 'remote'} server: ${allowed}`;
    return i.keys.map((key) => ({ field: [...base, key].join('.'), text }));
  }
  return [{ field: base.join('.') || '(entry)', text: i.message }];
}
