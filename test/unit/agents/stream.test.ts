// The stream parsers on the line shapes the real CLIs print (recorded from
// claude 2.1.328 and codex 0.169.0 against the mock model server).
import { describe, expect, it } from 'vitest';
import { createClaudeStreamParser } from '../../../src/agents/claude-stream.js';
import { createCodexStreamParser } from '../../../src/agents/codex-stream.js';
import { lineSplitter, providerErrorClass } from '../../../src/agents/stream.js';

const j = (v: unknown) => JSON.stringify(v);

describe('agents/claude-stream', () => {
  it('groups content-block lines of one message into one turn and reads the final result', () => {
    const sessions: string[] = [];
    const p = createClaudeStreamParser({ onSession: (id) => sessions.push(id) });
    const usage = { input_tokens: 100, output_tokens: 1, cache_read_input_tokens: 20 };
    p.line(j({ type: 'system', subtype: 'init', session_id: 's-1' }));
    p.line(j({ type: 'assistant', message: { id: 'm1', content: [{ type: 'text', text: 'Reading.' }], usage }, session_id: 's-1' }));
    p.line(j({ type: 'assistant', message: { id: 'm1', content: [{ type: 'tool_use', name: 'Read', input: { file_path: 'src/math.js' } }], usage }, session_id: 's-1' }));
    p.line(j({ type: 'user', message: { content: [{ type: 'tool_result', content: 'x' }] }, session_id: 's-1' }));
    p.line(j({ type: 'assistant', message: { id: 'm2', content: [{ type: 'text', text: 'Done.' }], usage }, session_id: 's-1' }));
    p.line(j({ type: 'result', subtype: 'success', is_error: false, result: 'Done.', total_cost_usd: 0.25, usage: { input_tokens: 200, output_tokens: 30 }, session_id: 's-1' }));
    p.end();
    expect(sessions).toEqual(['s-1']);
    expect(p.state.turns).toEqual([
      { index: 1, text: 'Reading.', toolUses: [{ name: 'Read', summary: 'src/math.js' }], usage: { inputTokens: 120, outputTokens: 1 }, id: 'm1' },
      { index: 2, text: 'Done.', toolUses: [], usage: { inputTokens: 120, outputTokens: 1 }, id: 'm2' },
    ]);
    expect(p.state.final).toEqual({ ok: true, subtype: 'success', text: 'Done.', usage: { inputTokens: 200, outputTokens: 30 }, costUsd: 0.25 });
    expect(p.state.nonJsonCount).toBe(0);
  });

  it('turns an authentication retry into a fatal provider_auth at once, and a failed result into ok: false', () => {
    const fatal: string[] = [];
    const p = createClaudeStreamParser({ onFatal: (f) => fatal.push(f.cls) });
    p.line(j({ type: 'system', subtype: 'api_retry', attempt: 1, error_status: 401, error: 'authentication_failed' }));
    p.line(j({ type: 'system', subtype: 'api_retry', attempt: 2, error_status: 401, error: 'authentication_failed' }));
    p.line(j({ type: 'result', subtype: 'error_during_execution', is_error: true, api_error_status: 401 }));
    expect(fatal).toEqual(['provider_auth']);
    expect(p.state.final).toMatchObject({ ok: false, errorStatus: 401 });
  });

  it('counts non-JSON and non-object lines without trusting them', () => {
    const p = createClaudeStreamParser();
    p.line('Welcome to the agent!');
    p.line('[1,2]');
    p.line('');
    expect(p.state.nonJsonCount).toBe(2);
    expect(p.state.nonJson).toEqual(['Welcome to the agent!', '[1,2]']);
    expect(p.state.final).toBeUndefined();
  });
});

describe('agents/codex-stream', () => {
  it('reads the thread id first, turns per agent message, usage at turn.completed; error items are warnings', () => {
    const sessions: string[] = [];
    const p = createCodexStreamParser({ onSession: (id) => sessions.push(id) });
    p.line(j({ type: 'thread.started', thread_id: 't-1' }));
    p.line(j({ type: 'item.completed', item: { type: 'error', message: 'Model metadata not found' } }));
    p.line(j({ type: 'turn.started' }));
    p.line(j({ type: 'item.completed', item: { type: 'agent_message', text: 'Reading.' } }));
    p.line(j({ type: 'item.completed', item: { type: 'command_execution', command: "/bin/bash -lc 'cat src/math.js'", exit_code: 0 } }));
    p.line(j({ type: 'item.completed', item: { type: 'file_change', changes: [{ path: 'src/math.js', kind: 'update' }] } }));
    p.line(j({ type: 'item.completed', item: { type: 'agent_message', text: 'Done.' } }));
    p.line(j({ type: 'turn.completed', usage: { input_tokens: 500, cached_input_tokens: 0, output_tokens: 40, reasoning_output_tokens: 2 } }));
    expect(sessions).toEqual(['t-1']);
    expect(p.state.warnings).toEqual(['Model metadata not found']);
    expect(p.state.turns.map((t) => t.toolUses.map((u) => u.name))).toEqual([['shell', 'apply_patch'], []]);
    expect(p.state.final).toEqual({ ok: true, subtype: 'turn.completed', text: 'Done.', usage: { inputTokens: 500, outputTokens: 42 } });
  });

  it('a turn.failed after an error event is a failed result, never a success', () => {
    const p = createCodexStreamParser();
    p.line(j({ type: 'thread.started', thread_id: 't-2' }));
    p.line(j({ type: 'error', message: 'unexpected status 401 Unauthorized' }));
    p.line(j({ type: 'turn.failed', error: { message: 'unexpected status 401 Unauthorized' } }));
    expect(p.state.final).toMatchObject({ ok: false, subtype: 'turn.failed' });
    expect(providerErrorClass(undefined, p.state.final!.text)).toBe('provider_auth');
  });
});

describe('agents/stream', () => {
  it.each([
    [401, '', 'provider_auth'],
    [429, '', 'provider_rate_limit'],
    [503, '', 'provider_internal'],
    [undefined, 'exceeded retry limit, last status: 429 Too Many Requests', 'provider_rate_limit'],
    [undefined, 'prompt is too long: 215000 tokens', 'context_window'],
    [undefined, 'stream disconnected', 'provider_internal'],
  ])('providerErrorClass(%s, %j) is %s', (status, message, cls) => {
    expect(providerErrorClass(status, message)).toBe(cls);
  });

  it('lineSplitter joins lines split across chunks and flushes the tail', () => {
    const lines: string[] = [];
    const s = lineSplitter((l) => lines.push(l));
    s.push('{"a":');
    s.push('1}\n{"b"');
    s.push(':2}\ntail');
    s.flush();
    expect(lines).toEqual(['{"a":1}', '{"b":2}', 'tail']);
  });
});
