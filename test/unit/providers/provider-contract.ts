// Behaviour every HTTP provider must show against the mock model server, run
// with the real vendor SDK over real HTTP. Used by anthropic.test.ts and openai.test.ts.
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { failureDetails } from '../../../src/failures.js';
import type { ChatMessage, ModelProvider, ModelRequest, ToolSpec } from '../../../src/providers/types.js';
import { replyText, toolUses } from '../../../src/providers/types.js';
import { MOCK_FIXED_USAGE } from '../../../src/fixtures/mock-model-scenarios.js';
import { type MockModelServer, startMockModelServer } from '../../../src/fixtures/mock-model-server.js';

export const ECHO_TOOL: ToolSpec = {
  name: 'echo',
  description: 'Echo the text back.',
  inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
};

export function request(prompt: string, extra: Partial<ModelRequest> = {}): ModelRequest {
  return {
    model: 'mock-model',
    system: 'You are a test model.',
    messages: [{ role: 'user', content: [{ type: 'text', text: prompt }] }],
    tools: [ECHO_TOOL],
    maxTokens: 256,
    ...extra,
  };
}

export async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ApplicationFailure);
    return err as ApplicationFailure;
  }
  throw new Error('expected the provider call to fail, but it succeeded');
}

export interface ContractHooks {
  server(): MockModelServer;
}

/** Starts one mock server for the file; resets recordings before each test. */
export function useMockServer(): ContractHooks {
  let server: MockModelServer | undefined;
  beforeAll(async () => {
    server = await startMockModelServer();
  });
  afterAll(async () => {
    await server?.close();
  });
  beforeEach(() => server?.reset());
  return {
    server() {
      if (!server) throw new Error('mock server not started');
      return server;
    },
  };
}

/**
 * The shared contract. `make(server, timeoutMs?)` builds the provider under test
 * pointed at the mock server.
 */
export function providerContract(
  hooks: ContractHooks,
  make: (server: MockModelServer, opts?: { timeoutMs?: number }) => ModelProvider,
): void {
  const modes = [
    { mode: 'json', stream: false },
    { mode: 'sse', stream: true },
  ];

  it.each(modes)('answers a plain text turn ($mode)', async ({ stream }) => {
    const s = hooks.server();
    const reply = await make(s).complete(request('hello [[mock:text]]'), { stream });
    expect(replyText(reply.content)).toBe('Mock reply for turn 0.');
    expect(reply.stopReason).toBe('end_turn');
    expect(reply.scripted).toBe(false);
    expect(reply.model).toBe('mock-model');
    expect(reply.requestId).toBe(s.requests[0]?.requestId);
    expect(s.requests[0]).toMatchObject({ scenario: 'text', turn: 0, stream, status: 200 });
    expect(toolUses(reply.content)).toHaveLength(0);
  });

  it.each(modes)('round-trips a tool call: tool_use out, tool_result back, final text ($mode)', async ({ stream }) => {
    const s = hooks.server();
    const provider = make(s);
    const req = request('use a tool [[mock:tool_use]]');
    const first = await provider.complete(req, { stream });
    expect(first.stopReason).toBe('tool_use');
    const [call] = toolUses(first.content);
    expect(call).toMatchObject({ name: 'echo', input: { text: 'ping' } });
    expect(call?.id).toMatch(/^[A-Za-z0-9_-]+-0-0$/);

    const messages: ChatMessage[] = [
      ...req.messages,
      { role: 'assistant', content: first.content },
      { role: 'user', content: [{ type: 'tool_result', toolUseId: call!.id, content: 'pong' }] },
    ];
    const second = await provider.complete({ ...req, messages }, { stream });
    expect(second.stopReason).toBe('end_turn');
    expect(replyText(second.content)).toBe('Tool result received: pong');
    expect(s.requests.map((r) => r.turn)).toEqual([0, 1]);
    // The tool call was not repeated in the final turn.
    expect(toolUses(second.content)).toHaveLength(0);
  });

  it.each(modes)('returns two tool calls in one turn with distinct ids ($mode)', async ({ stream }) => {
    const s = hooks.server();
    const provider = make(s);
    const req = request('two tools [[mock:multi_tool_use]]');
    const first = await provider.complete(req, { stream });
    const calls = toolUses(first.content);
    expect(calls.map((c) => c.input)).toEqual([{ text: 'one' }, { text: 'two' }]);
    expect(new Set(calls.map((c) => c.id)).size).toBe(2);
    const messages: ChatMessage[] = [
      ...req.messages,
      { role: 'assistant', content: first.content },
      { role: 'user', content: calls.map((c) => ({ type: 'tool_result' as const, toolUseId: c.id, content: `got ${String(c.input.text)}` })) },
    ];
    const second = await provider.complete({ ...req, messages }, { stream });
    expect(replyText(second.content)).toBe('Received 2 tool results: got one | got two');
  });

  it('carries a tool error flag back to the model', async () => {
    const s = hooks.server();
    const provider = make(s);
    const req = request('bad input [[mock:tool_error]]');
    const first = await provider.complete(req);
    const [call] = toolUses(first.content);
    expect(call?.input).toEqual({ wrong: 42 });
    const messages: ChatMessage[] = [
      ...req.messages,
      { role: 'assistant', content: first.content },
      { role: 'user', content: [{ type: 'tool_result', toolUseId: call!.id, content: 'missing required field text', isError: true }] },
    ];
    const second = await provider.complete({ ...req, messages });
    expect(replyText(second.content)).toContain('The tool rejected the input');
    expect(replyText(second.content)).not.toContain('accepted');
  });

  it.each(modes)('reports the usage figures the provider returned ($mode)', async ({ stream }) => {
    const s = hooks.server();
    const reply = await make(s).complete(request('[[mock:usage]]'), { stream });
    expect(reply.usage).toEqual(MOCK_FIXED_USAGE);
  });

  it.each(modes)('classifies 429 as provider_rate_limit with retry-after and request id, in exactly one request ($mode)', async ({ stream }) => {
    const s = hooks.server();
    const f = await failureOf(make(s).complete(request('[[mock:rate_limit]]'), { stream }));
    expect(f.type).toBe('provider_rate_limit');
    expect(f.nonRetryable).toBe(false);
    const d = failureDetails(f);
    expect(d.retryAfterSeconds).toBe(1);
    expect(d.requestId).toBe(s.requests[0]?.requestId);
    // SDK retries are off: Temporal owns retries, so the SDK must not have tried again.
    expect(s.requestCount('rate_limit')).toBe(1);
  });

  it('classifies 500 as provider_internal and does not retry inside the SDK', async () => {
    const s = hooks.server();
    const f = await failureOf(make(s).complete(request('[[mock:server_error]]')));
    expect(f.type).toBe('provider_internal');
    expect(f.nonRetryable).toBe(false);
    expect(failureDetails(f).requestId).toBe(s.requests[0]?.requestId);
    expect(s.requestCount()).toBe(1);
  });

  it('classifies 401 as provider_auth, which is never retried', async () => {
    const s = hooks.server();
    const f = await failureOf(make(s).complete(request('[[mock:auth]]')));
    expect(f.type).toBe('provider_auth');
    expect(f.nonRetryable).toBe(true);
    expect(failureDetails(f).requestId).toBe(s.requests[0]?.requestId);
    expect(String(failureDetails(f).hint)).toMatch(/API_KEY/);
  });

  it('classifies a too-long prompt as context_window with a compaction hint and no raw body', async () => {
    const s = hooks.server();
    const f = await failureOf(make(s).complete(request('[[mock:context_window]]')));
    expect(f.type).toBe('context_window');
    expect(f.nonRetryable).toBe(true);
    expect(String(failureDetails(f).hint)).toMatch(/compact/i);
    expect(failureDetails(f).requestId).toBe(s.requests[0]?.requestId);
    // One short line of provider text, never the JSON body.
    expect(f.message).not.toMatch(/[{}]|"type"|invalid_request_error/);
    expect(f.message).not.toContain('\n');
    expect(f.message.length).toBeLessThan(300);
  });

  it('classifies a model that never answers as a provider_internal timeout after one request', async () => {
    const s = hooks.server();
    const started = Date.now();
    const f = await failureOf(make(s, { timeoutMs: 300 }).complete(request('[[mock:timeout]]')));
    expect(f.type).toBe('provider_internal');
    expect(failureDetails(f).timeout).toBe(true);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(s.requestCount('timeout')).toBe(1);
    expect(s.requests[0]?.status).toBe(0);
  });

  it('succeeds on the next attempt after a one-off rate limit, billing each attempt once', async () => {
    const s = hooks.server();
    const provider = make(s);
    const req = request('[[mock:rate_limit_then_ok]]');
    const f = await failureOf(provider.complete(req));
    expect(f.type).toBe('provider_rate_limit');
    const reply = await provider.complete(req);
    expect(replyText(reply.content)).toBe('Mock reply after rate limit, turn 0.');
    expect(s.requests.map((r) => r.status)).toEqual([429, 200]);
  });

  it('turns an aborted signal into a cancelled failure', async () => {
    const s = hooks.server();
    const ac = new AbortController();
    const p = make(s, { timeoutMs: 30_000 }).complete(request('[[mock:timeout]]'), { signal: ac.signal });
    setTimeout(() => ac.abort(), 100);
    const f = await failureOf(p);
    expect(f.type).toBe('cancelled');
    expect(f.type).not.toBe('provider_internal');
  });
}
