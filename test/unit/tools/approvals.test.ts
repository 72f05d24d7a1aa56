import { describe, expect, it } from 'vitest';
import { APPROVAL_ARGUMENT_CHARS, approvalArgument, decideApproval, type ApprovalPolicy } from '../../../src/tools/approvals.js';
import { parsePacket } from '../../../src/packet/parse.js';
import { summarize } from '../../../src/workflows/summary.js';
import { laneEvents } from '../../support/events.js';

const policy: ApprovalPolicy = {
  rules: [
    { tool: 'bash', match: '^git push', decision: 'deny' },
    { tool: 'bash', decision: 'ask' },
    { tool: 'write_file', match: '^src/', decision: 'allow' },
    { tool: 'mcp__github__*', decision: 'ask' },
  ],
  default: 'allow',
};

describe('tools/approvals', () => {
  it('the first matching rule decides, by tool name (exact, prefix*) and argument pattern', () => {
    expect(decideApproval(policy, 'bash', { command: 'git push origin main' })).toMatchObject({ decision: 'deny', rule: 'bash ~ /^git push/' });
    expect(decideApproval(policy, 'bash', { command: 'npm test' })).toMatchObject({ decision: 'ask', rule: 'bash', argument: 'npm test' });
    expect(decideApproval(policy, 'write_file', { path: 'src/a.ts', content: 'x' })).toMatchObject({ decision: 'allow', rule: 'write_file ~ /^src//' });
    expect(decideApproval(policy, 'mcp__github__create_issue', { title: 't' })).toMatchObject({ decision: 'ask', argument: '{"title":"t"}' });
  });

  it('no match takes the default; a rule never matches another tool', () => {
    expect(decideApproval(policy, 'write_file', { path: 'README.md', content: 'x' })).toMatchObject({ decision: 'allow', rule: null });
    expect(decideApproval({ rules: [], default: 'ask' }, 'read_file', { path: 'a' })).toMatchObject({ decision: 'ask', rule: null, argument: 'a' });
    expect(decideApproval(policy, 'mcp__gitlab__x', {}).decision).toBe('allow');
  });

  it('matches the whole argument but shows a capped copy', () => {
    const long = `echo ${'x'.repeat(5_000)} && git push`;
    const v = decideApproval({ rules: [{ tool: 'bash', match: 'git push$', decision: 'deny' }], default: 'allow' }, 'bash', { command: long });
    expect(v.decision).toBe('deny');
    expect(v.argument.length).toBe(APPROVAL_ARGUMENT_CHARS);
    expect(approvalArgument('grep', { pattern: 'TODO' })).toBe('TODO');
  });

  it('the packet refuses a bad pattern and approvals on an external agent, naming the field', () => {
    const base = { objective: 'x', repo: { path: '/tmp/r', baseBranch: 'main' }, acceptance: { targeted: ['true'] } };
    expect(() => parsePacket(JSON.stringify({ ...base, agent: { provider: 'anthropic', model: 'm', approvals: { rules: [{ tool: 'bash', match: '(', decision: 'ask' }] } } }))).toThrow(/agent\.approvals\.rules\[0\]\.match.*not a valid regular expression/s);
    expect(() => parsePacket(JSON.stringify({ ...base, agent: { kind: 'codex', model: 'm', approvals: { rules: [] } } }))).toThrow(/agent\.approvals/);
    const ok = parsePacket(JSON.stringify({ ...base, agent: { provider: 'anthropic', model: 'm', approvals: { rules: [{ tool: 'bash', decision: 'ask' }] } } }));
    expect(ok.agent.approvals).toEqual({ rules: [{ tool: 'bash', decision: 'ask' }], default: 'allow' });
  });

  it('the summary (status, webhook) of a lane awaiting approval names the exact call and the commands', () => {
    const events = laneEvents('l', [
      { type: 'lane.started', state: 'spawning' },
      { type: 'lane.approval.requested', state: 'awaiting_approval', data: { requestId: 'apr-2-1', tool: 'bash', call: 'rm -rf build', rule: 'bash', recommended: '`lanes approve l apr-2-1` runs the call' } },
      { type: 'lane.message.received', state: 'awaiting_approval', data: { messageId: 'm1' } },
    ]);
    const s = summarize('l', events);
    expect(s.approval).toMatchObject({ requestId: 'apr-2-1', tool: 'bash', call: 'rm -rf build', rule: 'bash' });
    expect(s.recommendedAction).toContain('lanes approve l apr-2-1');
    expect(s.blocker).toBeNull();
    // Must not: an approval shown once the lane has moved on.
    expect(summarize('l', [...events, ...laneEvents('l', [{ type: 'lane.approval.granted', state: 'running' }])]).approval).toBeUndefined();
  });
});
