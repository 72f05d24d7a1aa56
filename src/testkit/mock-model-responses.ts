// The OpenAI Responses API for the mock model server (what Codex speaks): parse a
// `POST /v1/responses` body into a MockRequest and render an outcome as the
// Responses SSE event sequence, ending in `response.completed` with usage.
import type { ChatMessage, ContentBlock } from '../providers/types.js';
import type { MockErrorKind, MockOutcome } from './mock-model-scenarios.js';
import { OPENAI_ERRORS, type ParseResult, type SseEvent } from './mock-model-wire.js';

type Json = Record<string, unknown>;

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

function partsText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((p) => (isObj(p) && typeof p.text === 'string' ? p.text : '')).join('');
}

/** Appends to the last message when the role repeats: one model response is one assistant turn. */
function push(messages: ChatMessage[], role: ChatMessage['role'], block: ContentBlock): void {
  const last = messages[messages.length - 1];
  if (last && last.role === role) last.content.push(block);
  else messages.push({ role, content: [block] });
}

/**
 * Input items become neutral messages: developer/system text is the system prompt; assistant
 * messages, reasoning and function calls of one response are one assistant turn; function
 * call outputs and user text are user turns.
 */
export function parseResponsesRequest(body: unknown): ParseResult {
  if (!isObj(body)) return { ok: false, message: 'request body must be a JSON object' };
  if (typeof body.model !== 'string' || !body.model) return { ok: false, message: 'Missing required parameter: model.' };
  const items = typeof body.input === 'string' ? [{ type: 'message', role: 'user', content: body.input }] : body.input;
  if (!Array.isArray(items)) return { ok: false, message: "Missing required parameter: 'input'." };
  const system: string[] = typeof body.instructions === 'string' && body.instructions ? [body.instructions] : [];
  const messages: ChatMessage[] = [];
  for (const item of items.filter(isObj)) {
    const type = item.type ?? 'message';
    if (type === 'message') {
      const text = partsText(item.content);
      if (item.role === 'developer' || item.role === 'system') system.push(text);
      else if (item.role === 'assistant') push(messages, 'assistant', { type: 'text', text });
      else push(messages, 'user', { type: 'text', text });
    } else if (type === 'function_call' || type === 'custom_tool_call' || type === 'local_shell_call') {
      let input: Record<string, unknown> = {};
      try {
        const v: unknown = JSON.parse(str(item.arguments ?? item.input) || '{}');
        if (isObj(v)) input = v;
      } catch {
        // keep {}: the mock only needs the ids and names of earlier calls
      }
      push(messages, 'assistant', { type: 'tool_use', id: str(item.call_id), name: str(item.name), input });
    } else if (type === 'reasoning') {
      push(messages, 'assistant', { type: 'text', text: '' });
    } else if (type === 'function_call_output' || type === 'custom_tool_call_output' || type === 'local_shell_call_output') {
      const output = typeof item.output === 'string' ? item.output : isObj(item.output) ? str(item.output.content) || JSON.stringify(item.output) : '';
      push(messages, 'user', { type: 'tool_result', toolUseId: str(item.call_id), content: output });
    }
  }
  const tools = (Array.isArray(body.tools) ? body.tools : [])
    .filter(isObj)
    .filter((t) => t.type === 'function')
    .map((t) => ({ name: str(t.name), description: str(t.description), inputSchema: isObj(t.parameters) ? t.parameters : {} }));
  return { ok: true, request: { model: body.model, system: system.join('\n'), messages, tools, stream: body.stream === true, includeUsage: true } };
}

function outputItems(id: string, o: Extract<MockOutcome, { kind: 'reply' }>): Json[] {
  const items: Json[] = [];
  const text = o.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
  if (text) items.push({ type: 'message', id: `${id}_msg`, role: 'assistant', status: 'completed', content: [{ type: 'output_text', text, annotations: [] }] });
  for (const b of o.content) {
    if (b.type === 'tool_use') items.push({ type: 'function_call', id: `${id}_${b.id}`, call_id: b.id, name: b.name, arguments: JSON.stringify(b.input), status: 'completed' });
  }
  return items;
}

function responseObject(id: string, model: string, status: string, output: Json[], o?: Extract<MockOutcome, { kind: 'reply' }>): Json {
  return {
    id,
    object: 'response',
    created_at: 1_700_000_000,
    status,
    model,
    output,
    usage: o
      ? {
          input_tokens: o.usage.inputTokens,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens: o.usage.outputTokens,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: o.usage.inputTokens + o.usage.outputTokens,
        }
      : null,
  };
}

/** response.created, per item added/delta/done, then response.completed with usage. */
export function responsesEvents(id: string, model: string, o: Extract<MockOutcome, { kind: 'reply' }>): SseEvent[] {
  const events: SseEvent[] = [];
  let sequence = 0;
  const emit = (type: string, payload: Json) => events.push({ event: type, data: JSON.stringify({ type, sequence_number: sequence++, ...payload }) });
  emit('response.created', { response: responseObject(id, model, 'in_progress', []) });
  const items = outputItems(id, o);
  items.forEach((item, index) => {
    emit('response.output_item.added', { output_index: index, item: { ...item, ...(item.type === 'message' ? { content: [] } : { arguments: '' }), status: 'in_progress' } });
    if (item.type === 'message') {
      const text = str((item.content as Json[])[0]?.text);
      emit('response.output_text.delta', { item_id: item.id, output_index: index, content_index: 0, delta: text });
      emit('response.output_text.done', { item_id: item.id, output_index: index, content_index: 0, text });
    } else {
      emit('response.function_call_arguments.delta', { item_id: item.id, output_index: index, delta: item.arguments });
      emit('response.function_call_arguments.done', { item_id: item.id, output_index: index, arguments: item.arguments });
    }
    emit('response.output_item.done', { output_index: index, item });
  });
  emit('response.completed', { response: responseObject(id, model, 'completed', items, o) });
  return events;
}

/** The non-streaming body: the completed response object. */
export function responsesBody(id: string, model: string, o: Extract<MockOutcome, { kind: 'reply' }>): Json {
  return responseObject(id, model, 'completed', outputItems(id, o), o);
}

export function responsesErrorBody(error: MockErrorKind, message: string): Json {
  return { error: { message, ...OPENAI_ERRORS[error], param: null } };
}
