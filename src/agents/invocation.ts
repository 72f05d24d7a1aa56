// How each external agent kind is started for one pass: executable, arguments,
// environment and the config files it reads (Claude Code's MCP JSON, Codex's
// config.toml). Pure apart from writing those files into the pass's state folder.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isStdioServer, type McpServerConfig } from '../mcp/config.js';
import type { AgentSettings, ProviderName } from '../packet/schema.js';
import { isCredentialVariable } from '../shell/child-env.js';
import { isLanesOwnVariable } from '../sandbox/env.js';

export interface AgentInvocation {
  file: string;
  args: string[];
  env: Record<string, string>;
  /** The prompt, written to stdin (or undefined when it travels in argv/env). */
  input?: string;
}

export interface InvocationInput {
  agent: AgentSettings;
  prompt: string;
  /** Lanes-chosen (claude_code, command) or agent-reported (codex) session id. */
  sessionId?: string;
  /** True when the session already exists and this run continues it. */
  resume: boolean;
  /** The lane's folder for agent state (config dirs, session files); survives a worker crash. */
  stateDir: string;
  /** Validated packet MCP servers with `${VAR}` references resolved. */
  mcpServers: Record<string, McpServerConfig>;
  /** The worker's environment: the only source of credentials and base URLs. */
  env: NodeJS.ProcessEnv;
}

/** What every agent process gets from the worker's environment (no credentials). */
const BASE_VARIABLES = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'TERM', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR'];

/** Credentials and endpoints per provider: an agent gets its own provider's, never another's. */
export const PROVIDER_VARIABLES: Record<ProviderName, readonly string[]> = {
  anthropic: ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'ANTHROPIC_BASE_URL'],
  openai: ['OPENAI_API_KEY', 'OPENAI_BASE_URL', 'OPENAI_ORG_ID', 'OPENAI_PROJECT_ID'],
  scripted: [],
};

/**
 * HOME for claude and codex: a per-lane folder. Both snapshot the user's shell by sourcing
 * ~/.bashrc in their own process groups, whose background jobs (version managers' rehash
 * and the like) would outlive the pass; and the operator's dotfiles are no business of a lane.
 */
function agentHome(stateDir: string): string {
  const home = join(stateDir, 'home');
  mkdirSync(home, { recursive: true });
  return home;
}

function pick(env: NodeJS.ProcessEnv, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const v = env[name];
    if (v !== undefined) out[name] = v;
  }
  return out;
}

/** The package's own copy (a pinned dev dependency) when installed, else the name on PATH. */
function agentBinary(name: 'claude' | 'codex', env: NodeJS.ProcessEnv): string {
  const override = env[name === 'claude' ? 'LANES_CLAUDE_BIN' : 'LANES_CODEX_BIN'];
  if (override) return override;
  const local = fileURLToPath(new URL(`../../node_modules/.bin/${name}`, import.meta.url));
  return existsSync(local) ? local : name;
}

/** Claude Code's own tool names per permission mode. */
export function claudeTools(agent: AgentSettings): { allowed: string[]; disallowed: string[] } {
  const read = ['Read', 'Glob', 'Grep', 'LS'];
  const write = ['Write', 'Edit', 'MultiEdit', 'NotebookEdit', 'Bash'];
  if (agent.allowedTools) return { allowed: agent.allowedTools, disallowed: agent.permissionMode === 'read_only' ? write : [] };
  switch (agent.permissionMode) {
    case 'read_only':
      return { allowed: read, disallowed: write };
    case 'workspace_write':
      return { allowed: [...read, ...write], disallowed: ['WebFetch', 'WebSearch'] };
    case 'danger_full_access':
      return { allowed: [...read, ...write, 'WebFetch', 'WebSearch'], disallowed: [] };
  }
}

function claudeMcpConfig(servers: Record<string, McpServerConfig>): unknown {
  const mcpServers: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(servers)) {
    mcpServers[name] = isStdioServer(s) ? { type: 'stdio', command: s.command, args: s.args, env: s.env } : { type: 'http', url: s.url, headers: s.headers };
  }
  return { mcpServers };
}

/** Claude Code's config dir of a lane (CLAUDE_CONFIG_DIR): settings, sessions, transcripts. */
export const claudeConfigDir = (stateDir: string): string => join(stateDir, 'claude');

function claudeInvocation(input: InvocationInput): AgentInvocation {
  const { agent, env } = input;
  const configDir = claudeConfigDir(input.stateDir);
  mkdirSync(configDir, { recursive: true });
  const tools = claudeTools(agent);
  // The packet's MCP servers are the lane's to use, except in read_only lanes (their tools may write).
  const mcpTools = agent.permissionMode === 'read_only' || agent.allowedTools ? [] : Object.keys(input.mcpServers).map((name) => `mcp__${name}`);
  const args = ['-p', '--output-format', 'stream-json', '--verbose', '--model', agent.model, '--max-turns', String(agent.maxTurns)];
  // Root (CI, containers) may not bypass permissions; acceptEdits + an allowlist works everywhere.
  args.push('--permission-mode', agent.permissionMode === 'read_only' ? 'default' : 'acceptEdits', '--allowedTools', [...tools.allowed, ...mcpTools].join(','));
  if (tools.disallowed.length > 0) args.push('--disallowedTools', tools.disallowed.join(','));
  args.push(...(input.resume ? ['--resume', input.sessionId!] : ['--session-id', input.sessionId!]));
  if (agent.system) args.push('--append-system-prompt', agent.system);
  // Only the packet's servers: never the operator's own Claude Code MCP configuration.
  const mcpFile = join(input.stateDir, 'claude-mcp.json');
  writeFileSync(mcpFile, JSON.stringify(claudeMcpConfig(input.mcpServers), null, 2));
  args.push('--mcp-config', mcpFile, '--strict-mcp-config', ...agent.extraArgs);
  return {
    file: agentBinary('claude', env),
    args,
    env: {
      ...pick(env, BASE_VARIABLES),
      ...pick(env, PROVIDER_VARIABLES.anthropic),
      HOME: agentHome(input.stateDir),
      CLAUDE_CONFIG_DIR: configDir,
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      DISABLE_AUTOUPDATER: '1',
      DISABLE_TELEMETRY: '1',
      DISABLE_ERROR_REPORTING: '1',
    },
    input: input.prompt,
  };
}

/** A TOML value: JSON strings, arrays and inline tables are valid TOML for what we write. */
function toml(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(toml).join(', ')}]`;
  const entries = Object.entries(value as Record<string, unknown>);
  return `{ ${entries.map(([k, v]) => `${JSON.stringify(k)} = ${toml(v)}`).join(', ')} }`;
}

export function codexConfig(agent: AgentSettings, servers: Record<string, McpServerConfig>, env: NodeJS.ProcessEnv): string {
  const lines = [
    '# Written by Lanes for one lane; Codex reads it from CODEX_HOME.',
    `model = ${toml(agent.model)}`,
    // Codex runs inside the lane sandbox, which enforces the permission mode (a read-only
    // worktree for read_only); Codex's own bubblewrap sandbox cannot nest in it (no uid map
    // on a read-only /proc), and one sandbox for everything the lane runs is the point.
    `# permissionMode ${agent.permissionMode}: enforced by the Lanes sandbox around this process.`,
    'sandbox_mode = "danger-full-access"',
    'approval_policy = "never"',
  ];
  if (agent.system) lines.push(`developer_instructions = ${toml(agent.system)}`);
  if (env.OPENAI_BASE_URL) {
    // A custom endpoint (proxy, gateway, the test mock) speaking the Responses API.
    lines.push('model_provider = "lanes"', '', '[model_providers.lanes]', 'name = "lanes"', `base_url = ${toml(env.OPENAI_BASE_URL)}`, 'wire_api = "responses"', 'env_key = "OPENAI_API_KEY"');
  }
  for (const [name, s] of Object.entries(servers)) {
    lines.push('', `[mcp_servers.${JSON.stringify(name)}]`);
    if (isStdioServer(s)) lines.push(`command = ${toml(s.command)}`, `args = ${toml(s.args)}`, `env = ${toml(s.env)}`);
    else lines.push(`url = ${toml(s.url)}`, `http_headers = ${toml(s.headers)}`);
    lines.push(`startup_timeout_sec = ${Math.ceil(s.startupTimeoutMs / 1000)}`, `tool_timeout_sec = ${Math.ceil(s.callTimeoutMs / 1000)}`);
  }
  return `${lines.join('\n')}\n`;
}

function codexInvocation(input: InvocationInput): AgentInvocation {
  const { agent, env } = input;
  const home = join(input.stateDir, 'codex');
  mkdirSync(home, { recursive: true });
  writeFileSync(join(home, 'config.toml'), codexConfig(agent, input.mcpServers, env));
  const args = ['exec', ...(input.resume ? ['resume', input.sessionId!] : []), '--json', '--skip-git-repo-check', ...agent.extraArgs, '-'];
  return {
    file: agentBinary('codex', env),
    args,
    env: { ...pick(env, BASE_VARIABLES), ...pick(env, PROVIDER_VARIABLES.openai), HOME: agentHome(input.stateDir), CODEX_HOME: home },
    input: input.prompt,
  };
}

function commandInvocation(input: InvocationInput): AgentInvocation {
  const { agent, env } = input;
  const cmd = agent.command!;
  const [file, ...rest] = cmd.argv;
  const lanesEnv: Record<string, string> = {
    LANES_AGENT_SESSION_ID: input.sessionId ?? '',
    LANES_AGENT_RESUME: input.resume ? '1' : '0',
    LANES_AGENT_MODEL: agent.model,
    LANES_AGENT_MAX_TURNS: String(agent.maxTurns),
    LANES_AGENT_PERMISSION_MODE: agent.permissionMode,
    LANES_AGENT_STATE_DIR: input.stateDir,
    ...(cmd.prompt === 'env' ? { LANES_AGENT_PROMPT: input.prompt } : {}),
  };
  return {
    file: file!,
    args: cmd.prompt === 'argument' ? [...rest, input.prompt] : rest,
    env: { ...pick(env, BASE_VARIABLES), // The allowlist cannot smuggle in credentials: those come only from the provider's own list.
      ...pick(env, cmd.envAllowlist.filter((name) => !isCredentialVariable(name) && !isLanesOwnVariable(name))), ...pick(env, PROVIDER_VARIABLES[agent.provider]), ...lanesEnv },
    ...(cmd.prompt === 'stdin' ? { input: input.prompt } : {}),
  };
}

export function agentInvocation(input: InvocationInput): AgentInvocation {
  mkdirSync(input.stateDir, { recursive: true });
  switch (input.agent.kind) {
    case 'claude_code':
      return claudeInvocation(input);
    case 'codex':
      return codexInvocation(input);
    case 'command':
      return commandInvocation(input);
    case 'builtin':
      throw new TypeError('the builtin agent runs as model turns, not as a process');
  }
}

/** The stream dialect a kind speaks. */
export function streamFormat(agent: AgentSettings): 'claude_stream_json' | 'codex_json' {
  if (agent.kind === 'codex') return 'codex_json';
  if (agent.kind === 'command') return agent.command!.format;
  return 'claude_stream_json';
}
