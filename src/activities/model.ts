// One model turn per activity. The transcript is rebuilt from per-turn files in
// the lane folder (replies, tool results, fix-up prompts), so a retried turn is
// answered from disk and no model call is billed twice.
import { z } from 'zod';
import type { TaskPacket } from '../packet/schema.js';
import { contextWindowFor, createProvider, estimateCostUsd, type ProviderOptions } from '../providers/registry.js';
import { estimateRequestTokens } from '../providers/token-estimate.js';
import { type ChatMessage, type ContentBlock, type ModelProvider, type ModelReply, PROVIDER_NAMES, type ProviderName, type ToolSpec, toolUses } from '../providers/types.js';
import { ToolResultSchema } from '../tools/run-tool.js';
import { toolResultFile } from './tools.js';
import { laneFailure } from '../failures.js';
import { startHeartbeat, activityCancellationSignal } from './activity-context.js';
import type { ArtifactStore } from './artifacts.js';
import { type FaultInjector, NO_FAULTS } from '../faults/index.js';

export type AgentConfig = TaskPacket['agent'];

export interface ModelTurnInput {
  laneId: string;
  /** Global turn number in the lane, from 1. The idempotency key with laneId. */
  turn: number;
  agent: AgentConfig;
  objective: string;
  scopePaths: string[];
  worktreePath: string;
  /** A user message placed before this turn (e.g. the failing test output of a fix-up). */
  extraPrompt?: string;
  /** The packet's MCP servers: their tools are offered to the agent too. */
  mcpServers?: Record<string, unknown>;
  /** The conversation starts at this turn (after `lanes restart`); absent: turn 1. */
  transcriptFrom?: number;
  /** The lane's compact_transcript recovery: every tool output is elided before the request is sized. */
  compact?: 'all';
}

export interface ModelTurnSummary {
  turn: number;
  provider: string;
  model: string;
  scripted: boolean;
  /** Only ids and names: tool inputs stay in the lane folder, not in workflow history. */
  toolCalls: { id: string; name: string }[];
  stopReason: ModelReply['stopReason'];
  text: string;
  usage: { inputTokens: number; outputTokens: number };
  costUsd: number;
  requestId: string | null;
  compacted: boolean;
  /** True when this summary came from disk (a retry), not from a model call. */
  replayed: boolean;
}

const ContentBlockSchema: z.ZodType<ContentBlock> = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text'), text: z.string() }),
  z.object({ type: z.literal('tool_use'), id: z.string(), name: z.string(), input: z.record(z.string(), z.unknown()) }),
  z.object({ type: z.literal('tool_result'), toolUseId: z.string(), content: z.string(), isError: z.boolean().optional() }),
]);

const ModelReplySchema: z.ZodType<ModelReply> = z.object({
  provider: z.enum(PROVIDER_NAMES as [ProviderName, ...ProviderName[]]),
  model: z.string(),
  content: z.array(ContentBlockSchema),
  stopReason: z.enum(['end_turn', 'tool_use', 'max_tokens', 'other']),
  usage: z.object({ inputTokens: z.number(), outputTokens: z.number() }),
  requestId: z.string().optional(),
  scripted: z.boolean(),
});

/** The record of one model turn (turns/<turn>.json); a retry replays it instead of calling the model. */
export const SavedTurnSchema = z.object({
  turn: z.number(),
  reply: ModelReplySchema,
  costUsd: z.number(),
  compacted: z.boolean(),
  estimatedInputTokens: z.number(),
});
export type SavedTurn = z.infer<typeof SavedTurnSchema>;

/** A fix-up prompt placed before a turn (prompts/<turn>.json). */
const SavedPromptSchema = z.object({ text: z.string() });

export const turnFile = (turn: number) => `turns/${String(turn).padStart(4, '0')}.json`;
export const promptFile = (turn: number) => `prompts/${String(turn).padStart(4, '0')}.json`;

const DEFAULT_SYSTEM =
  'You are a careful software engineer working inside a git worktree. Use the tools to read and change files; ' +
  'paths are relative to the worktree root. Keep changes minimal and focused on the objective. ' +
  'When the work is done, reply with a short summary and no tool calls.';

export function initialPrompt(objective: string, scopePaths: readonly string[]): string {
  return `Objective:\n${objective}\n${scopePaths.length ? `\nFocus on: ${scopePaths.join(', ')}\n` : ''}`;
}

function pushMessage(messages: ChatMessage[], role: ChatMessage['role'], content: ContentBlock[]): void {
  if (content.length === 0) return;
  const last = messages[messages.length - 1];
  if (last && last.role === role) last.content.push(...content);
  else messages.push({ role, content: [...content] });
}

/** The conversation before `turn`, rebuilt from the lane folder. */
export function buildMessages(store: ArtifactStore, input: Pick<ModelTurnInput, 'laneId' | 'turn' | 'objective' | 'scopePaths' | 'transcriptFrom'>): ChatMessage[] {
  const messages: ChatMessage[] = [];
  pushMessage(messages, 'user', [{ type: 'text', text: initialPrompt(input.objective, input.scopePaths) }]);
  const from = input.transcriptFrom ?? 1;
  for (let k = from; k <= input.turn; k++) {
    const prompt = store.readJson(input.laneId, promptFile(k), SavedPromptSchema);
    if (k > from) {
      const prev = store.readJson(input.laneId, turnFile(k - 1), SavedTurnSchema);
      if (prev) {
        pushMessage(messages, 'assistant', prev.reply.content);
        const results: ContentBlock[] = toolUses(prev.reply.content).map((tu) => {
          const r = store.readJson(input.laneId, toolResultFile(k - 1, tu.id), ToolResultSchema);
          return r
            ? { type: 'tool_result', toolUseId: tu.id, content: r.output, ...(r.ok ? {} : { isError: true }) }
            : { type: 'tool_result', toolUseId: tu.id, content: 'no result recorded for this call', isError: true };
        });
        pushMessage(messages, 'user', results);
      }
    }
    if (prompt) pushMessage(messages, 'user', [{ type: 'text', text: prompt.text }]);
  }
  // Providers need a user message last; a pass that ended without tool calls gets a nudge.
  if (messages[messages.length - 1]?.role === 'assistant') pushMessage(messages, 'user', [{ type: 'text', text: 'Continue.' }]);
  return messages;
}

/** Longest tool output kept whole by compaction (characters). */
export const COMPACTED_RESULT_CHARS = 2_000;

/**
 * One compaction pass: tool outputs before the latest assistant turn become a
 * marker, and the latest ones are cut to head + tail. Text and tool calls stay,
 * so the model keeps the thread of what it did.
 */
export function compactMessages(messages: ChatMessage[], mode: 'older' | 'all' = 'older'): ChatMessage[] {
  // 'all' (the lane's compact_transcript recovery) treats the latest outputs as old too.
  let lastAssistant = mode === 'all' ? messages.length : -1;
  if (mode === 'older') {
    messages.forEach((m, i) => {
      if (m.role === 'assistant') lastAssistant = i;
    });
  }
  const cut = (text: string) =>
    text.length <= COMPACTED_RESULT_CHARS ? text : `${text.slice(0, COMPACTED_RESULT_CHARS / 2)}\n[${text.length - COMPACTED_RESULT_CHARS} chars elided by compaction]\n${text.slice(-COMPACTED_RESULT_CHARS / 2)}`;
  return messages.map((m, i) => ({
    ...m,
    content: m.content.map((b) => {
      if (b.type !== 'tool_result') return b;
      if (i < lastAssistant && b.content.length > 200) return { ...b, content: `[${b.content.length} chars of tool output elided by compaction]` };
      return { ...b, content: cut(b.content) };
    }),
  }));
}

export interface ModelDeps {
  store: ArtifactStore;
  /** Tools the agent may call in this lane (built-in + MCP). */
  toolSpecs(input: ModelTurnInput): Promise<ToolSpec[]>;
  /** Provider factory; tests inject base URLs, the worker uses the environment. */
  provider?(agent: AgentConfig): ModelProvider;
  /** Context window override by model name (config), else the registry's. */
  contextWindow?(model: string): number | undefined;
  /** Kill points for drills and chaos (default NO_FAULTS: nothing fires). */
  faults?: FaultInjector;
}

function summaryOf(saved: SavedTurn, replayed: boolean): ModelTurnSummary {
  const r = saved.reply;
  return {
    turn: saved.turn,
    provider: r.provider,
    model: r.model,
    scripted: r.scripted,
    toolCalls: toolUses(r.content).map((t) => ({ id: t.id, name: t.name })),
    stopReason: r.stopReason,
    text: r.content
      .filter((b): b is Extract<ContentBlock, { type: 'text' }> => b.type === 'text')
      .map((b) => b.text)
      .join('')
      .slice(0, 500),
    usage: r.usage,
    costUsd: saved.costUsd,
    requestId: r.requestId ?? null,
    compacted: saved.compacted,
    replayed,
  };
}

export function createModelActivities(deps: ModelDeps) {
  const faults = deps.faults ?? NO_FAULTS;
  const makeProvider = deps.provider ?? ((agent: AgentConfig) => createProvider(agent.provider, { script: agent.script } as ProviderOptions));
  return {
    /**
     * One agent turn against the packet's provider.
     * Failure semantics: idempotent per (laneId, turn) — the reply is saved to
     * turns/<turn>.json before returning; a retry returns the saved reply without
     * calling the model. Provider failures are laneFailures typed by class.
     */
    async modelTurn(input: ModelTurnInput): Promise<ModelTurnSummary> {
      const { store } = deps;
      const saved = store.readJson(input.laneId, turnFile(input.turn), SavedTurnSchema);
      if (saved) return summaryOf(saved, true);
      if (input.extraPrompt !== undefined && !store.exists(input.laneId, promptFile(input.turn))) {
        await store.writeJson(input.laneId, promptFile(input.turn), { text: input.extraPrompt });
      }
      const tools = await deps.toolSpecs(input);
      let messages = buildMessages(store, input);
      if (input.compact === 'all') messages = compactMessages(messages, 'all');
      // The packet's system text adds to the default rules; it does not replace them.
      const system = input.agent.system ? `${DEFAULT_SYSTEM}\n\n${input.agent.system}` : DEFAULT_SYSTEM;
      const window = deps.contextWindow?.(input.agent.model) ?? contextWindowFor(input.agent.model);
      const budget = window - input.agent.maxTokens;
      let estimated = estimateRequestTokens({ system, messages, tools });
      let compacted = input.compact === 'all';
      if (estimated > budget) {
        messages = compactMessages(messages);
        compacted = true;
        estimated = estimateRequestTokens({ system, messages, tools });
        if (estimated > budget) {
          throw laneFailure('context_window', `turn ${input.turn} needs about ${estimated} input tokens; ${input.agent.model} allows ${budget} (context ${window} minus ${input.agent.maxTokens} output)`, {
            hint: 'Compaction was applied once and was not enough: narrow the packet scope, split the task, or use a model with a larger context window.',
            estimatedTokens: estimated,
            contextWindow: window,
          });
        }
      }
      const provider = makeProvider(input.agent);
      const stop = startHeartbeat(() => ({ turn: input.turn, phase: 'model' }), 10_000);
      let reply: ModelReply;
      try {
        reply = await provider.complete(
          { model: input.agent.model, system, messages, tools, maxTokens: input.agent.maxTokens },
          { signal: activityCancellationSignal(), stream: provider.name !== 'scripted' },
        );
      } finally {
        stop();
      }
      await faults.point('mid_model_turn', { home: store.home, laneId: input.laneId, turn: input.turn });
      const record: SavedTurn = { turn: input.turn, reply, costUsd: estimateCostUsd(reply.model, reply.usage, reply.provider), compacted, estimatedInputTokens: estimated };
      // The saved turn and the human-readable transcript (derived, rewritten whole, so retries
      // never duplicate) are flushed side by side; both are on disk before the turn returns.
      await Promise.all([
        store.writeJson(input.laneId, turnFile(input.turn), record),
        store.writeJson(input.laneId, 'transcript.json', { system, provider: reply.provider, scripted: reply.scripted, messages: [...messages, { role: 'assistant', content: reply.content }] }),
      ]);
      await faults.point('after_reply_saved', { home: store.home, laneId: input.laneId, turn: input.turn });
      return summaryOf(record, false);
    },
  };
}
