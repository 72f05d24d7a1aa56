// `${NAME}` references in a server's env values and headers, resolved from the
// worker's environment when the server starts. Packets name the secret; only
// the worker holds it, and resolved values never reach a report or history.
import type { McpConfigIssue, McpServerConfig } from './config.js';
import { isStdioServer } from './config.js';

const REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Replaces every `${NAME}` in env values (stdio) or header values (remote); a missing variable is a config issue. */
export function resolveEnvRefs(name: string, config: McpServerConfig, source: NodeJS.ProcessEnv): { config: McpServerConfig } | { issue: McpConfigIssue } {
  const field = isStdioServer(config) ? 'env' : 'headers';
  const values = isStdioServer(config) ? config.env : config.headers;
  const resolved: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    let missing: string | undefined;
    resolved[key] = value.replace(REF, (_m, ref: string) => {
      const v = source[ref];
      if (v === undefined) missing ??= ref;
      return v ?? '';
    });
    if (missing !== undefined) {
      return {
        issue: {
          name,
          field: `${field}.${key}`,
          message: `mcp.servers.${name}.${field}.${key}: refers to \${${missing}}, which is not set in the worker's environment`,
          hint: `Export ${missing} in the environment of the worker process, or change mcp.servers.${name}.${field}.${key}.`,
        },
      };
    }
  }
  return { config: isStdioServer(config) ? { ...config, env: resolved } : { ...config, headers: resolved } };
}
