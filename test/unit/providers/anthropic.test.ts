import { describe, expect, it } from 'vitest';
import { createAnthropicProvider, toAnthropicMessages, toAnthropicTools } from '../../../src/providers/anthropic.js';
import { replyText } from '../../../src/providers/types.js';
import { failureOf, providerContract, request, useMockServer } from './provider-contract.js';

describe('providers/anthropic', () => {
  const hooks = useMockServer();
  providerContract(hooks, (server, opts) =>
    createAnthropicProvider({ apiKey: 'test-key', baseURL: server.anthropicBaseURL, env: {}, ...(opts?.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}) }),
  );

  it('sends the Messages API shape: system, max_tokens, tools with input_schema, tool_result blocks', async () => {
    const s = hooks.server();
    const provider = createAnthropicProvider({ apiKey: 'k', baseURL: s.anthropicBaseURL, env: {} });
    await provider.complete({
      ...request('[[mock:text]]'),
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'go [[mock:text]]' }] },
        { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'echo', input: { text: 'a' } }] },
        { role: 'user', content: [{ type: 'tool_result', toolUseId: 't1', content: 'boom', isError: true }] },
      ],
    });
    const body = s.requests[0]?.body as Record<string, unknown>;
    expect(body).toMatchObject({ model: 'mock-model', max_tokens: 256, system: 'You are a test model.' });
    expect(body.tools).toEqual([{ name: 'echo', description: 'Echo the text back.', input_schema: expect.objectContaining({ type: 'object' }) }]);
    expect((body.messages as unknown[])[2]).toEqual({ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'boom', is_error: true }] });
    expect(s.requests[0]?.turn).toBe(1);
  });

  it('reads the key and base URL from the environment when not passed', async () => {
    const s = hooks.server();
    const provider = createAnthropicProvider({ env: { ANTHROPIC_API_KEY: 'from-env', ANTHROPIC_BASE_URL: s.anthropicBaseURL } });
    const reply = await provider.complete(request('[[mock:text]]'));
    expect(replyText(reply.content)).toBe('Mock reply for turn 0.');
  });

  it('fails as provider_auth without sending anything when ANTHROPIC_API_KEY is missing', async () => {
    const s = hooks.server();
    const provider = createAnthropicProvider({ baseURL: s.anthropicBaseURL, env: {} });
    const f = await failureOf(provider.complete(request('[[mock:text]]')));
    expect(f.type).toBe('provider_auth');
    expect(f.message).toContain('ANTHROPIC_API_KEY');
    expect(s.requestCount()).toBe(0);
  });

  it('omits tools and system when the request has none', async () => {
    const s = hooks.server();
    const provider = createAnthropicProvider({ apiKey: 'k', baseURL: s.anthropicBaseURL, env: {} });
    const { system: _omit, ...noSystem } = request('[[mock:text]]', { tools: [] });
    await provider.complete(noSystem);
    const body = s.requests[0]?.body as Record<string, unknown>;
    expect(body).not.toHaveProperty('tools');
    expect(body).not.toHaveProperty('system');
  });

  it('maps neutral blocks to vendor blocks without inventing an is_error flag', () => {
    const msgs = toAnthropicMessages([{ role: 'user', content: [{ type: 'tool_result', toolUseId: 'x', content: 'ok' }] }]);
    expect(msgs[0]?.content).toEqual([{ type: 'tool_result', tool_use_id: 'x', content: 'ok' }]);
    expect(toAnthropicTools([{ name: 'n', description: 'd', inputSchema: {} }])[0]?.input_schema).toEqual({ type: 'object' });
  });
});
