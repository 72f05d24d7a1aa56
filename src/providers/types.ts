// The one model-provider interface. Neutral on purpose: activities, budgets and
// transcripts speak this shape, and each vendor adapter maps to and from it.

export type ProviderName = 'anthropic' | 'openai' | 'scripted';

export const PROVIDER_NAMES: readonly ProviderName[] = ['anthropic', 'openai', 'scripted'];

/** Per-request timeout of the vendor SDKs unless configured: 10 minutes. */
export const DEFAULT_PROVIDER_TIMEOUT_MS = 600_000;

export type ContentBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> }
  | { type: 'tool_result'; toolUseId: string; content: string; isError?: boolean };

export interface ChatMessage {
  role: 'user' | 'assistant';
  content: ContentBlock[];
}

export interface ToolSpec {
  name: string;
  description: string;
  /** A JSON Schema object (`{ type: 'object', properties, required }`). */
  inputSchema: Record<string, unknown>;
}

export interface ModelRequest {
  model: string;
  system?: string;
  messages: ChatMessage[];
  tools: ToolSpec[];
  /** Upper bound on output tokens for this turn. */
  maxTokens: number;
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
}

export type StopReason = 'end_turn' | 'tool_use' | 'max_tokens' | 'other';

export interface ModelReply {
  provider: ProviderName;
  model: string;
  /** Only `text` and `tool_use` blocks. */
  content: ContentBlock[];
  stopReason: StopReason;
  usage: Usage;
  /** The provider's request id, for quoting to the provider. */
  requestId?: string;
  /** True when no real model produced this reply (offline demos); every output must say so. */
  scripted: boolean;
}

export interface CompleteOptions {
  signal?: AbortSignal;
  /** Use the vendor's streaming API and collect the final message. */
  stream?: boolean;
}

export interface ModelProvider {
  readonly name: ProviderName;
  readonly scripted: boolean;
  /**
   * One model turn. Throws only `laneFailure`s (ApplicationFailure typed by
   * FailureClass), built by `classifyProviderError`.
   */
  complete(req: ModelRequest, opts?: CompleteOptions): Promise<ModelReply>;
}

/** The tool_use blocks of a reply, in order. */
export function toolUses(content: readonly ContentBlock[]): Extract<ContentBlock, { type: 'tool_use' }>[] {
  return content.filter((b): b is Extract<ContentBlock, { type: 'tool_use' }> => b.type === 'tool_use');
}

/** The concatenated text of a reply's text blocks. */
export function replyText(content: readonly ContentBlock[]): string {
  return content
    .filter((b): b is Extract<ContentBlock, { type: 'text' }> => b.type === 'text')
    .map((b) => b.text)
    .join('');
}
