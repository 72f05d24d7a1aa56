import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MOCK_RETRY_AFTER_SECONDS } from '../../../src/testkit/mock-model-scenarios.js';
import { type MockModelServer, startMockModelServer } from '../../../src/testkit/mock-model-server.js';

type Json = Record<string, unknown>;

function anthropicBody(text: string, extra: Json = {}): Json {
  return { model: 'mock-model', max_tokens: 100, messages: [{ role: 'user', content: text }], ...extra };
}

function openaiBody(text: string, extra: Json = {}): Json {
  return { model: 'mock-model', messages: [{ role: 'user', content: text }], ...extra };
}

async function post(url: string, body: unknown): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

function parseSse(raw: string): { event?: string; data: string }[] {
  return raw
    .split('\n\n')
    .filter((b) => b.trim())
    .map((block) => {
      const lines = block.split('\n');
      const event = lines.find((l) => l.startsWith('event: '))?.slice(7);
      const data = lines.find((l) => l.startsWith('data: '))?.slice(6) ?? '';
      return event ? { event, data } : { data };
    });
}

describe('testkit/mock-model-server', () => {
  let server: MockModelServer;
  let messagesUrl: string;
  let chatUrl: string;
  beforeAll(async () => {
    server = await startMockModelServer();
    messagesUrl = `${server.anthropicBaseURL}/v1/messages`;
    chatUrl = `${server.openaiBaseURL}/chat/completions`;
  });
  afterAll(async () => {
    await server.close();
  });
  beforeEach(() => server.reset());

  it('listens on a free 127.0.0.1 port with vendor base URLs', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.anthropicBaseURL).toBe(server.url);
    expect(server.openaiBaseURL).toBe(`${server.url}/v1`);
  });

  it('streams the real Anthropic event sequence for a tool call', async () => {
    const res = await post(messagesUrl, anthropicBody('[[mock:tool_use]]', { stream: true }));
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const events = parseSse(await res.text());
    const names = events.map((e) => e.event);
    expect(names[0]).toBe('message_start');
    expect(names.slice(-2)).toEqual(['message_delta', 'message_stop']);
    // Two blocks: text then tool_use, each opened, delta'd and closed in order.
    const starts = events.filter((e) => e.event === 'content_block_start').map((e) => (JSON.parse(e.data) as { content_block: Json }).content_block.type);
    expect(starts).toEqual(['text', 'tool_use']);
    expect(names.filter((n) => n === 'content_block_stop')).toHaveLength(2);
    const json = events
      .filter((e) => e.event === 'content_block_delta')
      .map((e) => (JSON.parse(e.data) as { delta: { type: string; partial_json?: string } }).delta)
      .filter((d) => d.type === 'input_json_delta')
      .map((d) => d.partial_json)
      .join('');
    expect(JSON.parse(json)).toEqual({ text: 'ping' });
    const delta = JSON.parse(events.find((e) => e.event === 'message_delta')!.data) as { delta: { stop_reason: string } };
    expect(delta.delta.stop_reason).toBe('tool_use');
    expect(names).not.toContain('error');
  });

  it('streams OpenAI chunks ending in [DONE], with a usage chunk only when asked', async () => {
    const withUsage = parseSse(await (await post(chatUrl, openaiBody('[[mock:usage]]', { stream: true, stream_options: { include_usage: true } }))).text());
    expect(withUsage.at(-1)?.data).toBe('[DONE]');
    const usageChunk = JSON.parse(withUsage.at(-2)!.data) as { choices: unknown[]; usage: Json };
    expect(usageChunk.choices).toEqual([]);
    expect(usageChunk.usage).toEqual({ prompt_tokens: 1234, completion_tokens: 56, total_tokens: 1290 });

    const without = parseSse(await (await post(chatUrl, openaiBody('[[mock:usage]]', { stream: true }))).text());
    expect(without.at(-1)?.data).toBe('[DONE]');
    expect(without.some((e) => e.data.includes('"usage"'))).toBe(false);
  });

  it('finds the marker in the system prompt before user messages, and ignores assistant text', async () => {
    await post(messagesUrl, anthropicBody('[[mock:usage]]', { system: 'rules [[mock:tool_use]]' }));
    await post(messagesUrl, {
      model: 'm',
      max_tokens: 10,
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'see [[mock:auth]]' },
        { role: 'user', content: 'go on' },
      ],
    });
    await post(chatUrl, { model: 'm', messages: [{ role: 'system', content: '[[mock:usage]]' }, { role: 'user', content: 'x' }] });
    expect(server.requests.map((r) => [r.scenario, r.turn, r.status])).toEqual([
      ['tool_use', 0, 200],
      ['text', 1, 200],
      ['usage', 0, 200],
    ]);
  });

  it('sends a unique request id header per request in each vendor\'s header', async () => {
    const a = await post(messagesUrl, anthropicBody('x'));
    const b = await post(chatUrl, openaiBody('x'));
    expect(a.headers.get('request-id')).toBe(server.requests[0]?.requestId);
    expect(b.headers.get('x-request-id')).toBe(server.requests[1]?.requestId);
    expect(a.headers.get('request-id')).not.toBe(b.headers.get('x-request-id'));
  });

  it('answers rate_limit with 429, retry-after and a vendor error body', async () => {
    const res = await post(messagesUrl, anthropicBody('[[mock:rate_limit]]'));
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe(String(MOCK_RETRY_AFTER_SECONDS));
    expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
    const oa = await post(chatUrl, openaiBody('[[mock:context_window]]'));
    expect(oa.status).toBe(400);
    expect(await oa.json()).toMatchObject({ error: { code: 'context_length_exceeded' } });
  });

  it('fails rate_limit_then_ok only on the first request for the marker', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await post(chatUrl, openaiBody('[[mock:rate_limit_then_ok]]'))).status);
    expect(statuses).toEqual([429, 200, 200]);
    server.reset();
    expect((await post(chatUrl, openaiBody('[[mock:rate_limit_then_ok]]'))).status).toBe(429);
  });

  it('runs programmable scripts by turn and answers a retried turn identically', async () => {
    server.script('edit-readme', [
      { text: 'Editing.', toolCalls: [{ name: 'write_file', input: { path: 'README.md', content: '# hi\n' } }] },
      { text: 'All done.' },
    ]);
    const first = await (await post(messagesUrl, anthropicBody('please [[mock:edit-readme]]'))).text();
    const retry = await (await post(messagesUrl, anthropicBody('please [[mock:edit-readme]]'))).text();
    expect(retry).toBe(first);
    const msg = JSON.parse(first) as { content: Json[]; stop_reason: string };
    expect(msg.stop_reason).toBe('tool_use');
    expect(msg.content[1]).toEqual({ type: 'tool_use', id: 'toolu_mock-0-0', name: 'write_file', input: { path: 'README.md', content: '# hi\n' } });

    const turn1 = anthropicBody('x', {
      messages: [
        { role: 'user', content: 'please [[mock:edit-readme]]' },
        { role: 'assistant', content: msg.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_mock-0-0', content: 'ok' }] },
      ],
    });
    const done = (await (await post(messagesUrl, turn1)).json()) as { content: Json[] };
    expect(done.content).toEqual([{ type: 'text', text: 'All done.' }]);
    expect(server.requestCount('edit-readme')).toBe(3);
    expect(server.requests.map((r) => r.turn)).toEqual([0, 0, 1]);
    // reset forgets requests but keeps the script
    server.reset();
    expect(server.requestCount()).toBe(0);
    expect((await post(messagesUrl, anthropicBody('[[mock:edit-readme]]'))).status).toBe(200);
  });

  it('rejects unknown scenarios, bad JSON, missing fields and unknown routes', async () => {
    const unknown = await post(messagesUrl, anthropicBody('[[mock:nope]]'));
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(await unknown.json())).toContain("unknown mock scenario 'nope'");
    expect((await post(messagesUrl, '{not json')).status).toBe(400);
    expect((await post(messagesUrl, { model: 'm', messages: [] })).status).toBe(400);
    const missing = await fetch(`${server.url}/v1/embeddings`, { method: 'POST', body: '{}' });
    expect(missing.status).toBe(404);
    expect(server.requests.map((r) => r.status)).toEqual([400, 400, 400, 404]);
    expect(server.requests.every((r) => r.status !== 200)).toBe(true);
  });

  it('leaves a timeout request unanswered and still closes promptly', async () => {
    const local = await startMockModelServer();
    const pending = post(`${local.anthropicBaseURL}/v1/messages`, anthropicBody('[[mock:timeout]]')).then(
      () => 'answered',
      () => 'dropped',
    );
    await new Promise((r) => setTimeout(r, 150));
    expect(local.requests[0]).toMatchObject({ scenario: 'timeout', status: 0 });
    const started = Date.now();
    await local.close();
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await pending).toBe('dropped');
  });
});
