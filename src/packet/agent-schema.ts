// The packet's `agent` section: who runs the agent loop (Lanes' builtin loop or an external coding
// agent), its provider and model, permission mode, tools, approvals and the per-kind settings.
// Imports only zod and pure modules: workflows may import this file (through schema.ts).
import { z } from 'zod';
import { isToolName, TOOL_NAMES } from '../tools/specs.js';
import { nonEmpty, positiveInt } from './zod-parts.js';

export const PermissionModeSchema = z.enum(['read_only', 'workspace_write', 'danger_full_access']);
export type PermissionMode = z.infer<typeof PermissionModeSchema>;

export const ProviderNameSchema = z.enum(['anthropic', 'openai', 'scripted']);
export type ProviderName = z.infer<typeof ProviderNameSchema>;

export const ScriptedTurnSchema = z
  .object({
    text: z.string().optional().describe('Assistant text for this turn.'),
    toolCalls: z
      .array(
        z
          .object({
            name: nonEmpty().describe('Tool name, as the agent sees it.'),
            input: z.record(z.string(), z.unknown()).describe('Tool input object.'),
          })
          .strict(),
      )
      .optional(),
  })
  .strict()
  .refine((turn) => turn.text !== undefined || turn.toolCalls !== undefined, {
    message: 'a scripted turn needs text, toolCalls, or both',
    params: { allowed: '{ text?: string, toolCalls?: { name, input }[] } with at least one of the two' },
  });
export type ScriptedTurn = z.output<typeof ScriptedTurnSchema>;

export const AGENT_KINDS = ['builtin', 'claude_code', 'codex', 'command'] as const;
/** Who runs the agent loop: Lanes itself (`builtin`) or an external coding agent as a child process. */
export const AgentKindSchema = z.enum(AGENT_KINDS);
export type AgentKind = z.infer<typeof AgentKindSchema>;

/** The provider whose credentials each external kind receives (its own, nobody else's). */
const KIND_PROVIDER: Partial<Record<AgentKind, ProviderName>> = { claude_code: 'anthropic', codex: 'openai' };

const CommandAgentSchema = z
  .object({
    argv: z.array(nonEmpty()).min(1).describe('Executable and arguments, run in the lane worktree without a shell.'),
    envAllowlist: z
      .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/))
      .default([])
      .describe("Worker environment variables passed through (besides PATH, HOME and the provider's own credentials)."),
    prompt: z.enum(['stdin', 'argument', 'env']).default('stdin').describe('How the prompt is passed: on stdin, as the last argument, or in LANES_AGENT_PROMPT.'),
    format: z.enum(['claude_stream_json', 'codex_json']).default('claude_stream_json').describe('The JSON-lines dialect the command prints on stdout.'),
  })
  .strict();

/** What an `agent.approvals` rule does with a matching tool call (src/tools/approvals.ts decides). */
export const APPROVAL_DECISIONS = ['allow', 'ask', 'deny'] as const;

const ApprovalRuleSchema = z
  .object({
    tool: nonEmpty().describe("A tool name (bash, write_file, mcp__<server>__<tool>), '*' for any, or a prefix ending in '*'."),
    match: z
      .string()
      .min(1)
      .refine(
        (re) => {
          try {
            new RegExp(re);
            return true;
          } catch {
            return false;
          }
        },
        { message: 'not a valid regular expression', params: { allowed: 'a JavaScript regular expression, e.g. "^git push"' } },
      )
      .optional()
      .describe("Regular expression tested against the call's argument: the bash command, the file path, the glob/grep pattern, else the input as JSON. Absent: any call of the tool."),
    decision: z.enum(APPROVAL_DECISIONS).describe('allow: run it; ask: wait for `lanes approve` / `lanes deny`; deny: refuse it.'),
  })
  .strict();

const ApprovalsSchema = z
  .object({
    rules: z.array(ApprovalRuleSchema).max(100).default([]).describe('Checked in order; the first matching rule decides.'),
    default: z.enum(APPROVAL_DECISIONS).default('allow').describe("For calls no rule matches ('ask' asks for every call)."),
    timeoutMs: positiveInt().optional().describe('How long an approval request waits before it escalates (default: escalation.timeoutMs).'),
  })
  .strict();

export const AgentSchema = z
  .object({
    kind: AgentKindSchema.default('builtin').describe("Who runs the agent: 'builtin' (Lanes' own loop), 'claude_code', 'codex' or 'command'."),
    provider: ProviderNameSchema.optional().describe("Model provider; claude_code implies 'anthropic', codex 'openai'. For 'command': whose credentials it gets ('scripted': none)."),
    model: nonEmpty(),
    maxTurns: z.number().int().min(1).max(200).default(20),
    permissionMode: PermissionModeSchema.default('workspace_write'),
    tools: z
      .array(
        nonEmpty().refine((name) => isToolName(name) || /^mcp__[A-Za-z0-9_-]+__.+$/.test(name), {
          message: 'not a tool name',
          params: { allowed: `${TOOL_NAMES.join(', ')}, or an MCP tool as mcp__<server>__<tool>` },
        }),
      )
      .optional()
      .describe('Tool allowlist; absent means all tools the permission mode allows.'),
    approvals: ApprovalsSchema.optional().describe("builtin only: tool calls that need a person's approval (or are refused) before they run, on top of permissionMode."),
    system: z.string().optional().describe('Extra system prompt text.'),
    maxTokens: positiveInt().default(4096).describe('Max output tokens per model turn.'),
    script: z.array(ScriptedTurnSchema).optional().describe("Turns replayed by the 'scripted' provider (offline runs and tests)."),
    allowedTools: z
      .array(z.string().regex(/^[A-Za-z][A-Za-z0-9_]*(\(.*\))?$|^mcp__[A-Za-z0-9_-]+(__.+)?$/))
      .optional()
      .describe("claude_code only: Claude Code's own tool names (Read, Edit, Bash, …); default by permissionMode."),
    extraArgs: z.array(z.string()).default([]).describe('claude_code, codex: extra command-line arguments for the agent CLI.'),
    stallTimeoutMs: positiveInt().default(300_000).describe('External kinds: no output for this long (ms) kills the agent; the pass fails as tool_runtime.'),
    passTimeoutMs: positiveInt().default(3_600_000).describe('External kinds: wall-clock limit of one agent pass (ms).'),
    command: CommandAgentSchema.optional().describe("kind 'command': the program that runs one agent pass."),
  })
  .strict()
  .superRefine((agent, ctx) => {
    const issue = (path: string, message: string, allowed: string) => ctx.addIssue({ code: 'custom', path: [path], message, params: { allowed } });
    const external = agent.kind !== 'builtin';
    const implied = KIND_PROVIDER[agent.kind];
    if (implied && agent.provider !== undefined && agent.provider !== implied) {
      issue('provider', `kind '${agent.kind}' runs on provider '${implied}', not '${agent.provider}'`, `remove agent.provider, or set it to '${implied}'`);
    }
    if (!implied && agent.provider === undefined) {
      // Worded like a missing field: for the builtin kind that is exactly what it is.
      issue('provider', agent.kind === 'builtin' ? 'required' : `kind '${agent.kind}' needs a provider (whose credentials it receives)`, 'anthropic, openai, scripted');
    }
    if (agent.provider === 'scripted' && agent.kind === 'builtin' && agent.script === undefined) {
      issue('script', "provider 'scripted' needs a script", 'an array of turns { text?, toolCalls? }');
    }
    if (agent.script !== undefined && agent.kind !== 'builtin') {
      issue('script', `a script is only used by kind 'builtin', not '${agent.kind}'`, "remove agent.script (an external agent's model is scripted by its own server)");
    } else if (agent.script !== undefined && agent.provider !== 'scripted') {
      issue('script', `a script is only used by provider 'scripted', not '${agent.provider ?? 'unset'}'`, "remove agent.script, or set agent.provider to 'scripted'");
    }
    if ((agent.kind === 'command') !== (agent.command !== undefined)) {
      issue('command', agent.kind === 'command' ? "kind 'command' needs agent.command { argv }" : `agent.command is only used by kind 'command', not '${agent.kind}'`, "agent.command only together with kind 'command'");
    }
    if (external && agent.tools !== undefined) {
      issue('tools', `agent.tools lists Lanes' built-in tools; kind '${agent.kind}' uses its own`, agent.kind === 'claude_code' ? 'agent.allowedTools' : 'remove agent.tools');
    }
    if (external && agent.approvals !== undefined) {
      issue('approvals', `agent.approvals gates Lanes' built-in tool calls; kind '${agent.kind}' runs its own tools`, "remove agent.approvals, or use kind 'builtin'");
    }
    if (agent.kind !== 'claude_code' && agent.allowedTools !== undefined) {
      issue('allowedTools', `agent.allowedTools is only used by kind 'claude_code'`, "remove agent.allowedTools, or set kind 'claude_code'");
    }
    if (!['claude_code', 'codex'].includes(agent.kind) && agent.extraArgs.length > 0) {
      issue('extraArgs', `agent.extraArgs is only used by kinds 'claude_code' and 'codex'`, 'remove agent.extraArgs');
    }
  })
  // Resolved here so every consumer reads a provider: the one the kind runs on.
  .transform((agent) => ({ ...agent, provider: agent.provider ?? KIND_PROVIDER[agent.kind] ?? 'scripted' }));
export type AgentSettings = z.output<typeof AgentSchema>;
