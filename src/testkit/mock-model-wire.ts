// Vendor wire formats for the mock model server: parse Anthropic Messages and
// OpenAI chat-completions requests into a MockRequest, and render outcomes as
// JSON bodies or the vendors' SSE event sequences.
import type { ChatMessage, ContentBlock, StopReason, ToolSpec } from '../providers/types.js';
import type { MockErrorKind, MockOutcome, MockRequest } from './mock-model-scenarios.js';

/** `responses` is the OpenAI Responses API (mock-model-responses.ts). */
export type Vendor = 'anthropic' | 'openai' | 'responses';

export interface ParsedRequest extends MockRequest {
  stream: boolean;
  /** OpenAI `stream_options.include_usage`: send a final usage chunk. */
  includeUsage: boolean;
}

export type ParseResult = { ok: true; request: ParsedRequest } | { ok: false; message: string };

export interface SseEvent {
  event?: string;
  data: string;
}

type Json = Record<string, unknown>;

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** A fixed `created` timestamp keeps replies byte-identical across retries. */
const CREATED = 1_700_000_000;
/** Streamed text and JSON arrive in pieces this long, so clients must accumulate. */
const CHUNK_CHARS = 12;

function chunks(text: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += CHUNK_CHARS) out.push(text.slice(i, i + CHUNK_CHARS));
  return out;
}

function textOfParts(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((p) => (isObj(p) && (p.type === 'text' || p.type === undefined) ? str(p.text) : '')).join('');
}

function parseTools(tools: unknown, vendor: Exclude<Vendor, 'responses'>): ToolSpec[] {
  if (!Array.isArray(tools)) return [];
  return tools.filter(isObj).map((t) => {
    if (vendor === 'openai') {
      const f = isObj(t.function) ? t.function : {};
      return { name: str(f.name), description: str(f.description), inputSchema: isObj(f.parameters) ? f.parameters : {} };
    }
    return { name: str(t.name), description: str(t.description), inputSchema: isObj(t.input_schema) ? t.input_schema : {} };
  });
}

// ---- Anthropic -----------------------------------------------------------

function anthropicBlocks(content: unknown): ContentBlock[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  if (!Array.isArray(content)) return [];
  const out: ContentBlock[] = [];
  for (const b of content.filter(isObj)) {
    if (b.type === 'text') out.push({ type: 'text', text: str(b.text) });
    else if (b.type === 'tool_use') out.push({ type: 'tool_use', id: str(b.id), name: str(b.name), input: isObj(b.input) ? b.input : {} });
    else if (b.type === 'tool_result') {
      out.push({ type: 'tool_result', toolUseId: str(b.tool_use_id), content: textOfParts(b.content), ...(b.is_error === true ? { isError: true } : {}) });
    }
  }
  return out;
}

export function parseAnthropicRequest(body: unknown): ParseResult {
  if (!isObj(body)) return { ok: false, message: 'request body must be a JSON object' };
  if (typeof body.model !== 'string' || !body.model) return { ok: false, message: 'model: Field required' };
  if (typeof body.max_tokens !== 'number') return { ok: false, message: 'max_tokens: Field required' };
  if (!Array.isArray(body.messages)) return { ok: false, message: 'messages: Field required' };
  const messages: ChatMessage[] = body.messages.filter(isObj).map((m) => ({
    role: m.role === 'assistant' ? 'assistant' : 'user',
    content: anthropicBlocks(m.content),
  }));
  return {
    ok: true,
    request: {
      model: body.model,
      system: textOfParts(body.system),
      messages,
      tools: parseTools(body.tools, 'anthropic'),
      stream: body.stream === true,
      includeUsage: false,
    },
  };
}

function anthropicStop(reason: StopReason): string {
  return reason === 'other' ? 'stop_sequence' : reason;
}

function anthropicContent(content: readonly ContentBlock[]): Json[] {
  return content.flatMap((b): Json[] => {
    if (b.type === 'text') return [{ type: 'text', text: b.text }];
    if (b.type === 'tool_use') return [{ type: 'tool_use', id: b.id, name: b.name, input: b.input }];
    return [];
  });
}

function anthropicUsage(input: number, output: number): Json {
  return { input_tokens: input, output_tokens: output, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
}

export function anthropicMessage(id: string, model: string, o: Extract<MockOutcome, { kind: 'reply' }>): Json {
  return {
    id,
    type: 'message',
    role: 'assistant',
    model,
    content: anthropicContent(o.content),
    stop_reason: anthropicStop(o.stopReason),
    stop_sequence: null,
    usage: anthropicUsage(o.usage.inputTokens, o.usage.outputTokens),
  };
}

/** message_start, per block content_block_start/delta.../stop, message_delta, message_stop. */
export function anthropicEvents(id: string, model: string, o: Extract<MockOutcome, { kind: 'reply' }>): SseEvent[] {
  const events: SseEvent[] = [];
  const push = (type: string, payload: Json) => events.push({ event: type, data: JSON.stringify({ type, ...payload }) });
  push('message_start', {
    message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: anthropicUsage(o.usage.inputTokens, 1) },
  });
  push('ping', {});
  anthropicContent(o.content).forEach((block, index) => {
    if (block.type === 'text') {
      push('content_block_start', { index, content_block: { type: 'text', text: '' } });
      for (const piece of chunks(str(block.text))) push('content_block_delta', { index, delta: { type: 'text_delta', text: piece } });
    } else {
      push('content_block_start', { index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } });
      for (const piece of chunks(JSON.stringify(block.input))) push('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: piece } });
    }
    push('content_block_stop', { index });
  });
  push('message_delta', { delta: { stop_reason: anthropicStop(o.stopReason), stop_sequence: null }, usage: { output_tokens: o.usage.outputTokens } });
  push('message_stop', {});
  return events;
}

const ANTHROPIC_ERROR_TYPES: Record<MockErrorKind, string> = {
  rate_limit: 'rate_limit_error',
  server: 'api_error',
  auth: 'authentication_error',
  context_window: 'invalid_request_error',
  invalid_request: 'invalid_request_error',
  not_found: 'not_found_error',
};

export function anthropicErrorBody(error: MockErrorKind, message: string): Json {
  return { type: 'error', error: { type: ANTHROPIC_ERROR_TYPES[error], message } };
}

// ---- OpenAI --------------------------------------------------------------

export function parseOpenAIRequest(body: unknown): ParseResult {
  if (!isObj(body)) return { ok: false, message: 'request body must be a JSON object' };
  if (typeof body.model !== 'string' || !body.model) return { ok: false, message: "you must provide a model parameter" };
  if (!Array.isArray(body.messages)) return { ok: false, message: "Missing required parameter: 'messages'." };
  const system: string[] = [];
  const messages: ChatMessage[] = [];
  for (const m of body.messages.filter(isObj)) {
    if (m.role === 'system' || m.role === 'developer') system.push(textOfParts(m.content));
    else if (m.role === 'assistant') {
      const content: ContentBlock[] = [];
      const text = textOfParts(m.content);
      if (text) content.push({ type: 'text', text });
      for (const call of Array.isArray(m.tool_calls) ? m.tool_calls.filter(isObj) : []) {
        const f = isObj(call.function) ? call.function : {};
        let input: Record<string, unknown> = {};
        try {
          const v: unknown = JSON.parse(str(f.arguments) || '{}');
          if (isObj(v)) input = v;
        } catch {
          // keep {}: the mock only needs names and ids of earlier calls
        }
        content.push({ type: 'tool_use', id: str(call.id), name: str(f.name), input });
      }
      messages.push({ role: 'assistant', content });
    } else if (m.role === 'tool') {
      const block: ContentBlock = { type: 'tool_result', toolUseId: str(m.tool_call_id), content: textOfParts(m.content) };
      if (block.content.startsWith('[tool error]')) block.isError = true;
      // Consecutive tool messages are one neutral user turn of results.
      const prev = messages[messages.length - 1];
      if (prev && prev.role === 'user' && prev.content.every((b) => b.type === 'tool_result')) prev.content.push(block);
      else messages.push({ role: 'user', content: [block] });
    } else {
      messages.push({ role: 'user', content: [{ type: 'text', text: textOfParts(m.content) }] });
    }
  }
  const opts = isObj(body.stream_options) ? body.stream_options : {};
  return {
    ok: true,
    request: {
      model: body.model,
      system: system.join('\n'),
      messages,
      tools: parseTools(body.tools, 'openai'),
      stream: body.stream === true,
      includeUsage: opts.include_usage === true,
    },
  };
}

function finishReason(reason: StopReason): string {
  switch (reason) {
    case 'end_turn':
      return 'stop';
    case 'tool_use':
      return 'tool_calls';
    case 'max_tokens':
      return 'length';
    case 'other':
      return 'content_filter';
  }
}

function openaiUsage(o: Extract<MockOutcome, { kind: 'reply' }>): Json {
  return { prompt_tokens: o.usage.inputTokens, completion_tokens: o.usage.outputTokens, total_tokens: o.usage.inputTokens + o.usage.outputTokens };
}

function openaiParts(o: Extract<MockOutcome, { kind: 'reply' }>): { text: string; calls: Extract<ContentBlock, { type: 'tool_use' }>[] } {
  const text = o.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
  const calls = o.content.filter((b): b is Extract<ContentBlock, { type: 'tool_use' }> => b.type === 'tool_use');
  return { text, calls };
}

export function openaiCompletion(id: string, model: string, o: Extract<MockOutcome, { kind: 'reply' }>): Json {
  const { text, calls } = openaiParts(o);
  const message: Json = { role: 'assistant', content: text || null, refusal: null };
  if (calls.length > 0) {
    message.tool_calls = calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: JSON.stringify(c.input) } }));
  }
  return {
    id,
    object: 'chat.completion',
    created: CREATED,
    model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason(o.stopReason) }],
    usage: openaiUsage(o),
  };
}

/** `data:` chunks: role, content pieces, tool-call pieces, finish, optional usage, then `[DONE]`. */
export function openaiEvents(id: string, model: string, o: Extract<MockOutcome, { kind: 'reply' }>, includeUsage: boolean): SseEvent[] {
  const { text, calls } = openaiParts(o);
  const events: SseEvent[] = [];
  const chunk = (choices: Json[], extra: Json = {}) =>
    events.push({ data: JSON.stringify({ id, object: 'chat.completion.chunk', created: CREATED, model, choices, ...extra }) });
  const delta = (d: Json, finish: string | null = null) => chunk([{ index: 0, delta: d, logprobs: null, finish_reason: finish }]);
  delta({ role: 'assistant', content: '' });
  for (const piece of chunks(text)) delta({ content: piece });
  calls.forEach((c, index) => {
    delta({ tool_calls: [{ index, id: c.id, type: 'function', function: { name: c.name, arguments: '' } }] });
    for (const piece of chunks(JSON.stringify(c.input))) delta({ tool_calls: [{ index, function: { arguments: piece } }] });
  });
  delta({}, finishReason(o.stopReason));
  if (includeUsage) chunk([], { usage: openaiUsage(o) });
  events.push({ data: '[DONE]' });
  return events;
}

/** OpenAI error `type`/`code` per kind (chat completions and the Responses API share them). */
export const OPENAI_ERRORS: Record<MockErrorKind, { type: string; code: string | null }> = {
  rate_limit: { type: 'requests', code: 'rate_limit_exceeded' },
  server: { type: 'server_error', code: null },
  auth: { type: 'invalid_request_error', code: 'invalid_api_key' },
  context_window: { type: 'invalid_request_error', code: 'context_length_exceeded' },
  invalid_request: { type: 'invalid_request_error', code: null },
  not_found: { type: 'invalid_request_error', code: 'not_found' },
};

export function openaiErrorBody(error: MockErrorKind, message: string): Json {
  // OpenAI words the context-window refusal its own way; clients must recognise both.
  const text =
    error === 'context_window'
      ? "This model's maximum context length is 128000 tokens. However, your messages resulted in 215000 tokens. Please reduce the length of the messages."
      : message;
  return { error: { message: text, ...OPENAI_ERRORS[error], param: null } };
}

export function formatSse(e: SseEvent): string {
  return `${e.event ? `event: ${e.event}\n` : ''}data: ${e.data}\n\n`;
}
