// Durable tool approvals (issue 16): a tool call the packet's approval rules hold waits in
// awaiting_approval — in the workflow, so a worker SIGKILL loses nothing — until `lanes approve`
// runs it or `lanes deny` hands the agent a refusal. Adapted from the claw-code parity harness
// (permission prompts). Real dev server, worker processes, mock model, git.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALCULATOR_FIX } from '../../src/demo/fixture-repo.js';
import { eventsFile, expectWellFormedEvents, laneDir, worktreeDir } from '../support/lane-assertions.js';
import { type LaneStack, mockPacket, startLaneStack } from '../support/lane-stack.js';

let stack: LaneStack;

beforeAll(async () => {
  stack = await startLaneStack();
});

afterAll(async () => {
  await stack?.stop();
});

const AGENT = { provider: 'anthropic', model: 'claude-sonnet-4-5', maxTurns: 6 };
const FIX = { name: 'write_file', input: { path: 'src/math.js', content: CALCULATOR_FIX } };

/** The tool results the agent was sent in the request for turn `turn` (Anthropic wire format). */
function toolResultsSent(scenario: string, turn: number): { content: unknown; is_error?: boolean }[] {
  const req = stack.mock.requests.find((r) => r.scenario === scenario && r.turn === turn && r.status === 200);
  if (!req) throw new Error(`no request for ${scenario} turn ${turn}`);
  const messages = (req.body as { messages: { role: string; content: unknown }[] }).messages;
  return messages.flatMap((m) => (Array.isArray(m.content) ? m.content : [])).filter((b: { type?: string }) => b.type === 'tool_result');
}

async function waitFor(laneId: string, target: string, timeout = '120s') {
  const r = await stack.cli(['wait', laneId, '--for', target, '--timeout', timeout, '--json'], { timeoutMs: 150_000 });
  expect(r.exitCode, `${laneId} did not reach ${target}: ${r.stdout}${r.stderr}`).toBe(0);
  return r.json();
}

describe('durable tool approvals', () => {
  it('an ask bash call waits in awaiting_approval (status shows the exact call, list puts it first), survives a worker SIGKILL, and runs once approved; the lane lands', async () => {
    const repo = await stack.fixture('apr-approve');
    const laneId = 'apr-approve';
    const command = 'echo approved-run > bash-ran.txt';
    stack.mock.script('apr-approve', [{ text: 'Fixing, then recording.', toolCalls: [FIX, { name: 'bash', input: { command } }] }, { text: 'Done.' }]);
    const packet = mockPacket(laneId, repo.path, 'apr-approve', { agent: { ...AGENT, approvals: { rules: [{ tool: 'bash', decision: 'ask' }] } } });
    expect((await stack.cli(['submit', stack.writePacket(laneId, packet)])).exitCode).toBe(0);

    await waitFor(laneId, 'awaiting_approval');
    const status = await stack.cli(['status', laneId, '--json']);
    expect(status.json()).toMatchObject({ phase: 'awaiting_approval', approval: { requestId: 'apr-1-2', tool: 'bash', call: command, rule: 'bash' } });
    expect(status.json().recommendedAction).toContain(`lanes approve ${laneId} apr-1-2`);
    const text = await stack.cli(['status', laneId]);
    expect(text.stdout).toContain(`awaiting approval: apr-1-2 bash ${JSON.stringify(command)}`);
    const list = await stack.cli(['list', '--json']);
    expect(list.json()[0]).toMatchObject({ laneId, state: 'awaiting_approval' });
    // Must not: the held call running before anyone approved it (the call before it did run).
    expect(existsSync(join(worktreeDir(stack, laneId), 'bash-ran.txt'))).toBe(false);
    expect(readFileSync(join(worktreeDir(stack, laneId), 'src/math.js'), 'utf8')).toBe(CALCULATOR_FIX);

    // The request lives in the workflow, not in a process: kill the worker, start another.
    await stack.stopWorker('SIGKILL');
    await stack.startWorker();
    const wrong = await stack.cli(['approve', laneId, 'apr-9-9', '--json']);
    expect(wrong.exitCode).toBe(2);
    expect(wrong.json().error.message).toMatch(/no approval request "apr-9-9"; the one waiting is apr-1-2/);
    const approved = await stack.cli(['approve', laneId, 'apr-1-2', '--note', 'harmless echo', '--json']);
    expect(approved.exitCode, approved.stdout + approved.stderr).toBe(0);
    expect(approved.json()).toMatchObject({ laneId, accepted: true, requestId: 'apr-1-2', decision: 'approve' });

    await waitFor(laneId, 'ended');
    expect(await repo.git('show', 'main:bash-ran.txt')).toBe('approved-run');
    const events = expectWellFormedEvents(eventsFile(stack, laneId), laneId);
    const types = events.map((e) => e.type);
    expect(types.filter((t) => t === 'lane.approval.requested')).toHaveLength(1);
    expect(events.find((e) => e.type === 'lane.approval.granted')?.data).toMatchObject({ requestId: 'apr-1-2', note: 'harmless echo' });
    expect(events.at(-1)).toMatchObject({ type: 'lane.finished', state: 'finished' });
    // Must not: a denial, a refusal, a second run of the call, a decision accepted twice.
    expect(types).not.toContain('lane.approval.denied');
    expect(types).not.toContain('lane.tool.refused');
    const again = await stack.cli(['approve', laneId, 'apr-1-2', '--json']);
    expect(again.exitCode).toBe(2);
  }, 240_000);

  it('a denied call returns a clear refusal to the agent, which goes on; nothing the call would have done happens', async () => {
    const repo = await stack.fixture('apr-deny');
    const laneId = 'apr-deny';
    stack.mock.script('apr-deny', [{ text: 'Cleaning up first.', toolCalls: [{ name: 'bash', input: { command: 'rm -rf src' } }] }, { text: 'Then the fix.', toolCalls: [FIX] }, { text: 'Done.' }]);
    const packet = mockPacket(laneId, repo.path, 'apr-deny', { agent: { ...AGENT, approvals: { rules: [{ tool: 'bash', match: '^rm ', decision: 'ask' }] } } });
    expect((await stack.cli(['submit', stack.writePacket(laneId, packet)])).exitCode).toBe(0);

    const asked = await waitFor(laneId, 'lane.approval.requested');
    expect(asked.event.data).toMatchObject({ requestId: 'apr-1-1', tool: 'bash', call: 'rm -rf src', rule: 'bash ~ /^rm /' });
    const denied = await stack.cli(['deny', laneId, 'apr-1-1', '--reason', 'never delete the sources', '--json']);
    expect(denied.exitCode, denied.stdout + denied.stderr).toBe(0);
    expect(denied.json()).toMatchObject({ decision: 'deny' });

    await waitFor(laneId, 'ended');
    const [result] = toolResultsSent('apr-deny', 1);
    expect(result).toMatchObject({ is_error: true });
    expect(String(result!.content)).toMatch(/^refused \(permission\): tool call bash was denied by the operator.*: never delete the sources/);
    expect(await repo.git('show', 'main:src/math.js')).toBe(CALCULATOR_FIX.trimEnd());
    const events = expectWellFormedEvents(eventsFile(stack, laneId), laneId);
    expect(events.find((e) => e.type === 'lane.approval.denied')?.data).toMatchObject({ requestId: 'apr-1-1', reason: 'never delete the sources' });
    expect(events.find((e) => e.type === 'lane.tool.refused')).toMatchObject({ failureClass: 'manifest' });
    expect(events.at(-1)).toMatchObject({ type: 'lane.finished' });
    const refusals = readFileSync(join(laneDir(stack, laneId), 'refusals.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(refusals).toEqual([expect.objectContaining({ tool: 'bash', class: 'manifest', reason: expect.stringContaining('denied by the operator') })]);
    // Must not: the denied command having run (src/ would be gone from the lane's commits).
    expect(await repo.git('ls-tree', '--name-only', 'main', 'src/')).toContain('src/math.js');
  });

  it('parity: write_file in read_only is refused with a permission message and never put to a person; a deny rule refuses without asking', async () => {
    const repo = await stack.fixture('apr-readonly');
    const laneId = 'apr-readonly';
    stack.mock.script('apr-readonly', [{ text: 'Writing.', toolCalls: [FIX, { name: 'grep', input: { pattern: 'curl evil' } }] }, { text: 'Cannot write; stopping.' }]);
    const approvals = { rules: [{ tool: 'grep', match: 'curl', decision: 'deny' }], default: 'ask' };
    const packet = mockPacket(laneId, repo.path, 'apr-readonly', { agent: { ...AGENT, permissionMode: 'read_only', approvals }, escalation: { recoveryAttempts: 0 } });
    expect((await stack.cli(['submit', stack.writePacket(laneId, packet)])).exitCode).toBe(0);

    await waitFor(laneId, 'blocked');
    const [write, grep] = toolResultsSent('apr-readonly', 1);
    expect(write).toMatchObject({ is_error: true });
    expect(String(write!.content)).toMatch(/permission mode read_only does not allow it/);
    expect(String(grep!.content)).toMatch(/refused by the approval rule grep ~ \/curl\//);
    const events = expectWellFormedEvents((await stack.cli(['events', laneId, '--json'])).json(), laneId);
    expect(events.filter((e) => e.type === 'lane.tool.refused')).toHaveLength(2);
    // Must not: a person asked about a call the mode refuses anyway, or the file written.
    expect(events.map((e) => e.type)).not.toContain('lane.approval.requested');
    expect(readFileSync(join(worktreeDir(stack, laneId), 'src/math.js'), 'utf8')).not.toBe(CALCULATOR_FIX);
    expect((await stack.cli(['resolve', laneId, '--abort'])).exitCode).toBe(0);
    await waitFor(laneId, 'ended');
  });

  it('an approval nobody decides in time escalates: the lane blocks (manifest), and resolve --approve runs the call', async () => {
    const repo = await stack.fixture('apr-timeout');
    const laneId = 'apr-timeout';
    stack.mock.script('apr-timeout', [{ text: 'Fixing.', toolCalls: [FIX, { name: 'bash', input: { command: 'echo late > late.txt' } }] }, { text: 'Done.' }]);
    const packet = mockPacket(laneId, repo.path, 'apr-timeout', { agent: { ...AGENT, approvals: { rules: [{ tool: 'bash', decision: 'ask' }], timeoutMs: 1_500 } } });
    expect((await stack.cli(['submit', stack.writePacket(laneId, packet)])).exitCode).toBe(0);

    await waitFor(laneId, 'blocked');
    const status = (await stack.cli(['status', laneId, '--json'])).json();
    expect(status.blocker).toMatchObject({ class: 'manifest' });
    expect(status.blocker.detail).toMatch(/approval apr-1-2 for tool call bash was not decided within 1500 ms/);
    // Must not: the call run by the timeout itself.
    expect(existsSync(join(worktreeDir(stack, laneId), 'late.txt'))).toBe(false);
    expect((await stack.cli(['resolve', laneId, '--approve', '--note', 'fine'])).exitCode).toBe(0);
    await waitFor(laneId, 'ended');
    expect(await repo.git('show', 'main:late.txt')).toBe('late');
    const types = eventsFile(stack, laneId).map((e) => e.type);
    expect(types).toContain('lane.approval.timed_out');
    expect(types.indexOf('lane.approval.granted')).toBeGreaterThan(types.indexOf('lane.resolved'));
  });
});
