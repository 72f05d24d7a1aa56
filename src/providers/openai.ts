// OpenAI-compatible chat completions behind the neutral ModelProvider interface.
// Covers api.openai.com and local servers speaking the same API (Ollama, vLLM).
import { lazyClient } from './lazy-client.js';
import OpenAI from 'openai';
import { classifyProviderError } from './errors.js';
import {
  type ChatMessage,
  type CompleteOptions,
  type ContentBlock,
  DEFAULT_PROVIDER_TIMEOUT_MS,
  type ModelProvider,
  type ModelReply,
  type ModelRequest,
  type StopReason,
  type ToolSpec,
} from './types.js';

type ChatParam = OpenAI.Chat.ChatCompletionMessageParam;

export interface OpenAIProviderOptions {
  /** Default: OPENAI_API_KEY; when absent and a baseURL is set (a local server), a placeholder. */
  apiKey?: string;
  /** Default: OPENAI_BASE_URL, else api.openai.com. Includes `/v1`. */
  baseURL?: string;
  /** Per-request timeout in milliseconds. Default 600_000 (10 min). */
  timeoutMs?: number;
  /** SDK-level retries. Default 0: Temporal's activity retry policy owns retries. */
  maxRetries?: number;
  /** Use the streaming API unless a call says otherwise. Default false. */
  stream?: boolean;
  /**
   * Which request field carries maxTokens. Default `max_completion_tokens` for
   * api.openai.com (newer models reject `max_tokens`), `max_tokens` for a custom
   * baseURL (what Ollama and older vLLM understand).
   */
  maxTokensField?: 'max_tokens' | 'max_completion_tokens';
  /** Environment to read credentials from. Default process.env. */
  env?: NodeJS.ProcessEnv;
}

/** Sent as the key to local servers that ignore it (the SDK refuses an empty key). */
export const LOCAL_SERVER_PLACEHOLDER_KEY = 'lanes-local-no-key';

/** Key under which unparseable tool-call arguments are passed on, so the tool layer reports them to the model. */
export const RAW_TOOL_ARGUMENTS_KEY = '_rawArguments';

export function parseToolArguments(raw: string | undefined): Record<string, unknown> {
  if (!raw || !raw.trim()) return {};
  try {
    const v: unknown = JSON.parse(raw);
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // fall through: the model produced invalid JSON
  }
  return { [RAW_TOOL_ARGUMENTS_KEY]: raw };
}

function textOf(blocks: readonly ContentBlock[]): string {
  return blocks.map((b) => (b.type === 'text' ? b.text : '')).join('');
}

/** Neutral messages -> chat messages. Tool results become `role: 'tool'` messages right after the assistant's calls. */
export function toOpenAIMessages(system: string | undefined, messages: readonly ChatMessage[]): ChatParam[] {
  const out: ChatParam[] = system ? [{ role: 'system', content: system }] : [];
  for (const m of messages) {
    if (m.role === 'assistant') {
      const calls = m.content.flatMap((b) =>
        b.type === 'tool_use' ? [{ id: b.id, type: 'function' as const, function: { name: b.name, arguments: JSON.stringify(b.input) } }] : [],
      );
      const text = textOf(m.content);
      out.push({ role: 'assistant', content: text || null, ...(calls.length > 0 ? { tool_calls: calls } : {}) });
      continue;
    }
    for (const b of m.content) {
      if (b.type === 'tool_result') {
        // Chat completions have no error flag on tool messages; say it in the content.
        out.push({ role: 'tool', tool_call_id: b.toolUseId, content: b.isError ? `[tool error] ${b.content}` : b.content });
      }
    }
    const text = textOf(m.content);
    if (text) out.push({ role: 'user', content: text });
  }
  return out;
}

export function toOpenAITools(tools: readonly ToolSpec[]): OpenAI.Chat.ChatCompletionFunctionTool[] {
  return tools.map((t) => ({ type: 'function', function: { name: t.name, description: t.description, parameters: t.inputSchema } }));
}

function fromFinishReason(reason: string | null | undefined, hasToolCalls: boolean): StopReason {
  // Some local servers report 'stop' even when the message carries tool calls.
  if (hasToolCalls) return 'tool_use';
  switch (reason) {
    case 'stop':
      return 'end_turn';
    case 'tool_calls':
    case 'function_call':
      return 'tool_use';
    case 'length':
      return 'max_tokens';
    default:
      return 'other';
  }
}

interface CollectedCall {
  id?: string;
  name: string;
  arguments: string;
}

function buildReply(
  model: string,
  text: string,
  calls: readonly CollectedCall[],
  finishReason: string | null | undefined,
  usage: OpenAI.CompletionUsage | null | undefined,
  requestId: string | null | undefined,
): ModelReply {
  const content: ContentBlock[] = text ? [{ type: 'text', text }] : [];
  calls.forEach((c, i) => {
    // Some local servers omit ids; a positional id keeps tool results matchable.
    content.push({ type: 'tool_use', id: c.id || `call_${i}`, name: c.name, input: parseToolArguments(c.arguments) });
  });
  return {
    provider: 'openai',
    model,
    content,
    stopReason: fromFinishReason(finishReason, calls.length > 0),
    usage: { inputTokens: usage?.prompt_tokens ?? 0, outputTokens: usage?.completion_tokens ?? 0 },
    ...(requestId ? { requestId } : {}),
    scripted: false,
  };
}

export function fromOpenAICompletion(c: OpenAI.Chat.ChatCompletion, requestId: string | null | undefined): ModelReply {
  const choice = c.choices[0];
  const calls: CollectedCall[] = (choice?.message.tool_calls ?? []).flatMap((t) =>
    t.type === 'function' ? [{ id: t.id, name: t.function.name, arguments: t.function.arguments }] : [],
  );
  return buildReply(c.model, choice?.message.content ?? '', calls, choice?.finish_reason, c.usage, requestId);
}

async function collectStream(stream: AsyncIterable<OpenAI.Chat.ChatCompletionChunk>, requestModel: string, requestId: string | null): Promise<ModelReply> {
  let model = requestModel;
  let text = '';
  let finishReason: string | null | undefined;
  let usage: OpenAI.CompletionUsage | null | undefined;
  const calls: CollectedCall[] = [];
  for await (const chunk of stream) {
    if (chunk.model) model = chunk.model;
    if (chunk.usage) usage = chunk.usage;
    const choice = chunk.choices[0];
    if (!choice) continue;
    if (choice.finish_reason) finishReason = choice.finish_reason;
    if (choice.delta.content) text += choice.delta.content;
    for (const d of choice.delta.tool_calls ?? []) {
      const call = (calls[d.index] ??= { name: '', arguments: '' });
      if (d.id) call.id = d.id;
      if (d.function?.name) call.name += d.function.name;
      if (d.function?.arguments) call.arguments += d.function.arguments;
    }
  }
  return buildReply(model, text, calls.filter(Boolean), finishReason, usage, requestId);
}

export function createOpenAIProvider(options: OpenAIProviderOptions = {}): ModelProvider {
  const env = options.env ?? process.env;
  const baseURL = options.baseURL ?? env.OPENAI_BASE_URL;
  const apiKey = options.apiKey ?? env.OPENAI_API_KEY ?? (baseURL ? LOCAL_SERVER_PLACEHOLDER_KEY : undefined);
  const maxTokensField = options.maxTokensField ?? (baseURL ? 'max_tokens' : 'max_completion_tokens');
  const sdk = lazyClient({
    provider: 'openai',
    apiKey,
    keyVar: 'OPENAI_API_KEY',
    hint: 'Export OPENAI_API_KEY where the worker runs, or OPENAI_BASE_URL for a local server (Ollama, vLLM), then restart the worker.',
    make: (key) => new OpenAI({ apiKey: key, ...(baseURL ? { baseURL } : {}), timeout: options.timeoutMs ?? DEFAULT_PROVIDER_TIMEOUT_MS, maxRetries: options.maxRetries ?? 0 }),
  });

  return {
    name: 'openai',
    scripted: false,
    async complete(req: ModelRequest, opts: CompleteOptions = {}): Promise<ModelReply> {
      const base = {
        model: req.model,
        messages: toOpenAIMessages(req.system, req.messages),
        [maxTokensField]: req.maxTokens,
        ...(req.tools.length > 0 ? { tools: toOpenAITools(req.tools) } : {}),
      };
      const requestOptions = opts.signal ? { signal: opts.signal } : {};
      try {
        const c = sdk();
        if (opts.stream ?? options.stream ?? false) {
          const { data, request_id } = await c.chat.completions
            .create({ ...base, stream: true, stream_options: { include_usage: true } }, requestOptions)
            .withResponse();
          return await collectStream(data, req.model, request_id);
        }
        const { data, request_id } = await c.chat.completions.create({ ...base, stream: false }, requestOptions).withResponse();
        return fromOpenAICompletion(data, request_id);
      } catch (err) {
        throw classifyProviderError(err, 'openai');
      }
    },
  };
}
