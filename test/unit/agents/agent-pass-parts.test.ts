// Parts of an external agent pass: which network it gets in the lane sandbox, the transcript read-back
// that counts replies a crashed Claude Code run received but never printed, and its prompt.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentNetwork } from '../../../src/agents/network.js';
import { claudeTranscriptTurns } from '../../../src/agents/claude-transcript.js';
import { TaskPacketSchema, type TaskPacketInput } from '../../../src/packet/schema.js';
import { loopbackEndpoint } from '../../../src/sandbox/model-relay.js';

function agentOf(agent: Record<string, unknown>) {
  const packet: TaskPacketInput = { objective: 'x', repo: { path: '/r' }, acceptance: { requiredLevel: 'none' }, agent: agent as TaskPacketInput['agent'] };
  return TaskPacketSchema.parse(packet).agent;
}
const claude = agentOf({ kind: 'claude_code', model: 'claude-sonnet-4-5' });
const codex = agentOf({ kind: 'codex', model: 'gpt-5.1-codex' });

describe('agents/network', () => {
  it('a model endpoint on the loopback gets a private loopback with only that port relayed', () => {
    expect(agentNetwork(claude, 'none', { ANTHROPIC_BASE_URL: 'http://127.0.0.1:4567' }, false)).toEqual({ network: 'loopback', relay: { host: '127.0.0.1', port: 4567 } });
    expect(agentNetwork(codex, 'none', { OPENAI_BASE_URL: 'http://localhost:9000/v1', ANTHROPIC_BASE_URL: 'https://example.com' }, false)).toEqual({ network: 'loopback', relay: { host: '127.0.0.1', port: 9000 } });
  });

  it('a remote endpoint needs the worker to allow host network; otherwise the pass is refused with a hint', () => {
    expect(agentNetwork(claude, 'none', {}, true)).toEqual({ network: 'host' });
    const refused = agentNetwork(claude, 'none', {}, false);
    expect(refused).toMatchObject({ refused: expect.stringContaining('https://api.anthropic.com') });
    expect('hint' in refused && refused.hint).toMatch(/allowHostNetwork/);
    // Must NOT happen: a remote endpoint silently given a network it cannot use, or the host network without the worker's consent.
    expect(agentNetwork(codex, 'loopback', { OPENAI_BASE_URL: 'https://gateway.example/v1' }, false)).toHaveProperty('refused');
  });

  it('a scripted command agent keeps the packet network; danger_full_access and host are left to the sandbox plan', () => {
    expect(agentNetwork(agentOf({ kind: 'command', provider: 'scripted', model: 'm', command: { argv: ['x'] } }), 'none', {}, false)).toEqual({ network: 'none' });
    expect(agentNetwork(agentOf({ kind: 'claude_code', model: 'm', permissionMode: 'danger_full_access' }), 'none', {}, false)).toEqual({ network: 'none' });
    expect(agentNetwork(claude, 'host', {}, false)).toEqual({ network: 'host' });
  });

  it('loopbackEndpoint reads only loopback hosts, with default ports', () => {
    expect(loopbackEndpoint('http://[::1]:81/x')).toEqual({ host: '::1', port: 81 });
    expect(loopbackEndpoint('http://localhost')).toEqual({ host: '127.0.0.1', port: 80 });
    expect(loopbackEndpoint('https://127.0.0.2:1')).toBeUndefined();
    expect(loopbackEndpoint('not a url')).toBeUndefined();
  });
});

describe('agents/claude-transcript', () => {
  it('reads the model turns of a session transcript with their message ids, skipping synthetic replies', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lanes-transcript-'));
    mkdirSync(join(dir, 'projects', '-w'), { recursive: true });
    const line = (o: unknown) => JSON.stringify(o);
    const usage = { input_tokens: 10, output_tokens: 2 };
    writeFileSync(
      join(dir, 'projects', '-w', 's1.jsonl'),
      [
        line({ type: 'user', message: { role: 'user', content: 'task' } }),
        line({ type: 'assistant', message: { id: 'm0', model: 'claude-sonnet-4-5', content: [{ type: 'text', text: 'Reading.' }], usage } }),
        line({ type: 'assistant', message: { id: 'm0', model: 'claude-sonnet-4-5', content: [{ type: 'tool_use', name: 'Read', input: { file_path: 'a.js' } }], usage } }),
        line({ type: 'api-request-blob', message: { content: [] } }),
        line({ type: 'assistant', message: { id: 'm1', model: 'claude-sonnet-4-5', content: [{ type: 'tool_use', name: 'Bash', input: { command: 'node --test' } }], usage } }),
        line({ type: 'assistant', message: { id: 'syn', model: '<synthetic>', content: [{ type: 'text', text: 'No response requested.' }], usage: { input_tokens: 0, output_tokens: 0 } } }),
        '{"type":"assistant","message":{"id":"torn"', // cut by the crash
      ].join('\n'),
    );
    const turns = claudeTranscriptTurns(dir, 's1');
    expect(turns.map((t) => [t.id, t.toolUses.map((u) => u.name), t.usage.inputTokens])).toEqual([
      ['m0', ['Read'], 10],
      ['m1', ['Bash'], 10],
    ]);
    // Must NOT happen: a synthetic placeholder or another session counted as a model turn.
    expect(turns.map((t) => t.id)).not.toContain('syn');
    expect(claudeTranscriptTurns(dir, 'other-session')).toEqual([]);
  });
});

describe('activities/agent-pass: passPrompt', () => {
  it('puts the task first, then the failing output, then queued operator messages in order', async () => {
    const { passPrompt } = await import('../../../src/activities/agent-pass.js');
    const base = { objective: 'Fix the test.', scopePaths: ['src/a.js'] };
    const plain = passPrompt(base);
    expect(plain).toContain('Fix the test.');
    const full = passPrompt({ ...base, extraPrompt: 'FAILING: x', userMessages: ['use BigInt', 'keep the API'] });
    expect(full.indexOf('Fix the test.')).toBeLessThan(full.indexOf('FAILING: x'));
    expect(full.indexOf('FAILING: x')).toBeLessThan(full.indexOf('1. use BigInt'));
    expect(full).toContain('2. keep the API');
    // Must NOT happen: an empty message list adding a heading.
    expect(passPrompt({ ...base, userMessages: [] })).toBe(plain);
  });
});
