import { describe, expect, it } from 'vitest';
import { SCRIPT_FINISHED_TEXT, type ScriptedTurn, assistantTurnIndex, createScriptedProvider } from '../../../src/providers/scripted.js';
import type { ChatMessage, ModelRequest } from '../../../src/providers/types.js';
import { replyText, toolUses } from '../../../src/providers/types.js';
import { failureOf } from './provider-contract.js';

const script: ScriptedTurn[] = [
  { text: 'I will edit the file.', toolCalls: [{ name: 'write_file', input: { path: 'README.md', content: 'hi\n' } }, { name: 'read_file', input: { path: 'README.md' } }] },
  { text: 'Done.' },
];

function req(messages: ChatMessage[]): ModelRequest {
  return { model: 'demo-model', system: 'sys', messages, tools: [], maxTokens: 100 };
}

const user = (text: string): ChatMessage => ({ role: 'user', content: [{ type: 'text', text }] });

describe('providers/scripted', () => {
  it('labels every reply as scripted', async () => {
    const p = createScriptedProvider(script);
    expect(p.name).toBe('scripted');
    expect(p.scripted).toBe(true);
    const reply = await p.complete(req([user('go')]));
    expect(reply).toMatchObject({ provider: 'scripted', scripted: true, model: 'demo-model' });
  });

  it('answers turn 0 with its text and tool calls, with deterministic ids', async () => {
    const reply = await createScriptedProvider(script).complete(req([user('go')]));
    expect(reply.stopReason).toBe('tool_use');
    expect(replyText(reply.content)).toBe('I will edit the file.');
    expect(toolUses(reply.content).map((t) => t.id)).toEqual(['scripted-0-0', 'scripted-0-1']);
    expect(toolUses(reply.content)[0]?.input).toEqual({ path: 'README.md', content: 'hi\n' });
  });

  it('gives the same reply to the same request twice: a retry does not advance the script', async () => {
    const p = createScriptedProvider(script);
    const a = await p.complete(req([user('go')]));
    const b = await p.complete(req([user('go')]));
    expect(b).toEqual(a);
    expect(replyText(b.content)).not.toBe('Done.');
  });

  it('picks the turn from the assistant messages in the request', async () => {
    const p = createScriptedProvider(script);
    const first = await p.complete(req([user('go')]));
    const messages: ChatMessage[] = [
      user('go'),
      { role: 'assistant', content: first.content },
      { role: 'user', content: toolUses(first.content).map((t) => ({ type: 'tool_result' as const, toolUseId: t.id, content: 'ok' })) },
    ];
    const second = await p.complete(req(messages));
    expect(second).toMatchObject({ stopReason: 'end_turn', requestId: 'scripted-1' });
    expect(replyText(second.content)).toBe('Done.');
    expect(assistantTurnIndex(messages)).toBe(1);
  });

  it('ends with "script finished" once the script has run out', async () => {
    const p = createScriptedProvider([]);
    const reply = await p.complete(req([user('go')]));
    expect(reply.content).toEqual([{ type: 'text', text: SCRIPT_FINISHED_TEXT }]);
    expect(reply.stopReason).toBe('end_turn');
    expect(toolUses(reply.content)).toHaveLength(0);
  });

  it('estimates usage from characters (ceil(chars/4))', async () => {
    const reply = await createScriptedProvider([{ text: 'abcde' }]).complete(req([user('1234567')]));
    // input: 'sys' (3) + '1234567' (7) = 10 chars -> 3 tokens; output: 5 chars -> 2 tokens
    expect(reply.usage).toEqual({ inputTokens: 3, outputTokens: 2 });
  });

  it('is not affected by later changes to the script array the caller passed in', async () => {
    const mine: ScriptedTurn[] = [{ text: 'original' }];
    const p = createScriptedProvider(mine);
    mine[0] = { text: 'changed' };
    expect(replyText((await p.complete(req([user('go')]))).content)).toBe('original');
  });

  it('refuses an already-aborted request as cancelled', async () => {
    const ac = new AbortController();
    ac.abort();
    const f = await failureOf(createScriptedProvider(script).complete(req([user('go')]), { signal: ac.signal }));
    expect(f.type).toBe('cancelled');
  });
});
