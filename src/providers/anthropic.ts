// Anthropic Messages API behind the neutral ModelProvider interface.
import { lazyClient } from './lazy-client.js';
import Anthropic from '@anthropic-ai/sdk';
import { classifyProviderError } from './errors.js';
import { type ChatMessage, type CompleteOptions, type ContentBlock, type ModelProvider, type ModelReply, type ModelRequest, type StopReason, type ToolSpec, DEFAULT_PROVIDER_TIMEOUT_MS } from './types.js';

export interface AnthropicProviderOptions {
  /** Default: ANTHROPIC_API_KEY from the worker's environment. */
  apiKey?: string;
  /** Default: ANTHROPIC_BASE_URL, else the SDK's default (api.anthropic.com). No `/v1` suffix. */
  baseURL?: string;
  /** Per-request timeout in milliseconds. Default 600_000 (10 min). */
  timeoutMs?: number;
  /** SDK-level retries. Default 0: Temporal's activity retry policy owns retries. */
  maxRetries?: number;
  /** Use the streaming API unless a call says otherwise. Default false. */
  stream?: boolean;
  /** Environment to read credentials from. Default process.env. */
  env?: NodeJS.ProcessEnv;
}

function toVendorBlock(block: ContentBlock): Anthropic.ContentBlockParam {
  switch (block.type) {
    case 'text':
      return { type: 'text', text: block.text };
    case 'tool_use':
      return { type: 'tool_use', id: block.id, name: block.name, input: block.input };
    case 'tool_result':
      return { type: 'tool_result', tool_use_id: block.toolUseId, content: block.content, ...(block.isError ? { is_error: true } : {}) };
  }
}

export function toAnthropicMessages(messages: readonly ChatMessage[]): Anthropic.MessageParam[] {
  return messages.map((m) => ({ role: m.role, content: m.content.map(toVendorBlock) }));
}

export function toAnthropicTools(tools: readonly ToolSpec[]): Anthropic.Tool[] {
  return tools.map((t) => ({
    name: t.name,
    description: t.description,
    // The API requires an object schema; a spec without `type` is still one.
    input_schema: { type: 'object', ...t.inputSchema } as Anthropic.Tool.InputSchema,
  }));
}

function fromVendorStop(reason: Anthropic.StopReason | null): StopReason {
  switch (reason) {
    case 'end_turn':
    case 'tool_use':
    case 'max_tokens':
      return reason;
    // Output was cut short by a size limit: the agent loop treats it like max_tokens.
    case 'model_context_window_exceeded':
      return 'max_tokens';
    default:
      return 'other';
  }
}

/** Map a vendor Message to a neutral reply; thinking and server-tool blocks are dropped. */
export function fromAnthropicMessage(msg: Anthropic.Message, requestId: string | undefined): ModelReply {
  const content: ContentBlock[] = [];
  for (const b of msg.content) {
    if (b.type === 'text') content.push({ type: 'text', text: b.text });
    else if (b.type === 'tool_use') {
      const input = b.input && typeof b.input === 'object' && !Array.isArray(b.input) ? (b.input as Record<string, unknown>) : {};
      content.push({ type: 'tool_use', id: b.id, name: b.name, input });
    }
  }
  const u = msg.usage;
  return {
    provider: 'anthropic',
    model: msg.model,
    content,
    stopReason: fromVendorStop(msg.stop_reason),
    // Cached prompt tokens are still prompt tokens: budgets count them.
    usage: {
      inputTokens: u.input_tokens + (u.cache_creation_input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0),
      outputTokens: u.output_tokens,
    },
    ...(requestId ? { requestId } : {}),
    scripted: false,
  };
}

export function createAnthropicProvider(options: AnthropicProviderOptions = {}): ModelProvider {
  const env = options.env ?? process.env;
  const apiKey = options.apiKey ?? env.ANTHROPIC_API_KEY;
  const baseURL = options.baseURL ?? env.ANTHROPIC_BASE_URL;
  const sdk = lazyClient({
    provider: 'anthropic',
    apiKey,
    keyVar: 'ANTHROPIC_API_KEY',
    hint: 'Export ANTHROPIC_API_KEY (and ANTHROPIC_BASE_URL for a proxy) where the worker runs, then restart the worker.',
    make: (key) => new Anthropic({ apiKey: key, ...(baseURL ? { baseURL } : {}), timeout: options.timeoutMs ?? DEFAULT_PROVIDER_TIMEOUT_MS, maxRetries: options.maxRetries ?? 0 }),
  });

  return {
    name: 'anthropic',
    scripted: false,
    async complete(req: ModelRequest, opts: CompleteOptions = {}): Promise<ModelReply> {
      const params: Anthropic.MessageCreateParamsNonStreaming = {
        model: req.model,
        max_tokens: req.maxTokens,
        messages: toAnthropicMessages(req.messages),
        ...(req.system ? { system: req.system } : {}),
        ...(req.tools.length > 0 ? { tools: toAnthropicTools(req.tools) } : {}),
      };
      const requestOptions = opts.signal ? { signal: opts.signal } : {};
      try {
        const c = sdk();
        if (opts.stream ?? options.stream ?? false) {
          const stream = c.messages.stream(params, requestOptions);
          const msg = await stream.finalMessage();
          return fromAnthropicMessage(msg, stream.request_id ?? undefined);
        }
        const { data, request_id } = await c.messages.create(params, requestOptions).withResponse();
        return fromAnthropicMessage(data, request_id ?? undefined);
      } catch (err) {
        throw classifyProviderError(err, 'anthropic');
      }
    },
  };
}
