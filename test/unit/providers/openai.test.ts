import { describe, expect, it } from 'vitest';
import {
  LOCAL_SERVER_PLACEHOLDER_KEY,
  RAW_TOOL_ARGUMENTS_KEY,
  createOpenAIProvider,
  parseToolArguments,
  toOpenAIMessages,
} from '../../../src/providers/openai.js';
import { replyText } from '../../../src/providers/types.js';
import { failureOf, providerContract, request, useMockServer } from './provider-contract.js';

describe('providers/openai', () => {
  const hooks = useMockServer();
  providerContract(hooks, (server, opts) =>
    createOpenAIProvider({ apiKey: 'test-key', baseURL: server.openaiBaseURL, env: {}, ...(opts?.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}) }),
  );

  it('sends tool results as role "tool" messages right after the assistant tool calls', async () => {
    const s = hooks.server();
    const provider = createOpenAIProvider({ apiKey: 'k', baseURL: s.openaiBaseURL, env: {} });
    await provider.complete({
      ...request('x'),
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'go [[mock:text]]' }] },
        { role: 'assistant', content: [{ type: 'text', text: 'calling' }, { type: 'tool_use', id: 'c1', name: 'echo', input: { text: 'a' } }] },
        { role: 'user', content: [{ type: 'tool_result', toolUseId: 'c1', content: 'a' }, { type: 'text', text: 'and continue' }] },
      ],
    });
    const body = s.requests[0]?.body as { messages: unknown[]; tools: unknown[]; max_tokens?: number; max_completion_tokens?: number };
    expect(body.messages).toEqual([
      { role: 'system', content: 'You are a test model.' },
      { role: 'user', content: 'go [[mock:text]]' },
      { role: 'assistant', content: 'calling', tool_calls: [{ id: 'c1', type: 'function', function: { name: 'echo', arguments: '{"text":"a"}' } }] },
      { role: 'tool', tool_call_id: 'c1', content: 'a' },
      { role: 'user', content: 'and continue' },
    ]);
    expect(body.tools).toEqual([{ type: 'function', function: { name: 'echo', description: 'Echo the text back.', parameters: expect.objectContaining({ required: ['text'] }) } }]);
    // A custom baseURL means a local-style server: max_tokens, not max_completion_tokens.
    expect(body.max_tokens).toBe(256);
    expect(body).not.toHaveProperty('max_completion_tokens');
  });

  it('asks for usage in streamed replies', async () => {
    const s = hooks.server();
    await createOpenAIProvider({ apiKey: 'k', baseURL: s.openaiBaseURL, env: {} }).complete(request('[[mock:usage]]'), { stream: true });
    expect(s.requests[0]?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('talks to a local server with no key by sending a placeholder', async () => {
    const s = hooks.server();
    const provider = createOpenAIProvider({ env: { OPENAI_BASE_URL: s.openaiBaseURL } });
    const reply = await provider.complete(request('[[mock:text]]'));
    expect(replyText(reply.content)).toBe('Mock reply for turn 0.');
    expect(LOCAL_SERVER_PLACEHOLDER_KEY).not.toBe('');
  });

  it('fails as provider_auth without a request when neither key nor base URL is set', async () => {
    const s = hooks.server();
    const f = await failureOf(createOpenAIProvider({ env: {} }).complete(request('[[mock:text]]')));
    expect(f.type).toBe('provider_auth');
    expect(f.message).toContain('OPENAI_API_KEY');
    expect(s.requestCount()).toBe(0);
  });

  it('marks error tool results in the tool message content', () => {
    const msgs = toOpenAIMessages(undefined, [{ role: 'user', content: [{ type: 'tool_result', toolUseId: 'c', content: 'bad', isError: true }] }]);
    expect(msgs).toEqual([{ role: 'tool', tool_call_id: 'c', content: '[tool error] bad' }]);
  });

  it('keeps unparseable tool arguments for the tool layer instead of dropping them', () => {
    expect(parseToolArguments('{"a":1}')).toEqual({ a: 1 });
    expect(parseToolArguments('')).toEqual({});
    expect(parseToolArguments('{oops')).toEqual({ [RAW_TOOL_ARGUMENTS_KEY]: '{oops' });
    expect(parseToolArguments('[1,2]')).not.toEqual([1, 2]);
  });
});
