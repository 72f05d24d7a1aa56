// Qualified tool names: how an MCP tool is named to the model, unique across a
// lane's servers. Server names are restricted (config.ts) so the prefix is safe;
// tool names are the server's own.
export const MCP_TOOL_PREFIX = 'mcp__';

/** `mcp__<server>__<tool>`, e.g. `mcp__github__create_issue`. */
export function qualifiedToolName(server: string, tool: string): string {
  return `${MCP_TOOL_PREFIX}${server}__${tool}`;
}

/** Whether a tool name given to the model belongs to an MCP server (vs a built-in tool). */
export function isQualifiedMcpToolName(name: string): boolean {
  return name.startsWith(MCP_TOOL_PREFIX);
}
