// Idempotency records are read back with their schema: a record changed by hand (one field
// of the wrong type) fails the step as `infra`, naming the file and the field, and the step
// is neither re-run nor its record overwritten.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAgentPassActivities, passFile } from '../../../src/activities/agent-pass.js';
import { createArtifactStore } from '../../../src/activities/artifacts.js';
import { createMcpActivities } from '../../../src/activities/mcp.js';
import { createModelActivities, turnFile } from '../../../src/activities/model.js';
import { createRunActivities } from '../../../src/activities/runs.js';
import { createTestActivities } from '../../../src/activities/tests.js';
import { classifyFailure } from '../../../src/failures.js';
import { McpRegistry } from '../../../src/mcp/registry.js';
import { TaskPacketSchema, type TaskPacketInput } from '../../../src/packet/schema.js';
import { reapOrphanedGroups } from '../../../src/shell/group-records.js';
import { isRunningSoon } from '../../support/processes.js';

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'lanes-corrupt-'));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

/** Writes a record by hand under `$home/<folder>/<id>/` and returns its path and text. */
function plant(folder: string, id: string, rel: string, value: unknown): { path: string; text: string } {
  const path = join(home, folder, id, rel);
  mkdirSync(dirname(path), { recursive: true });
  const text = `${JSON.stringify(value, null, 2)}\n`;
  writeFileSync(path, text);
  return { path, text };
}

async function corruptFailure(p: Promise<unknown>, file: string, field: string): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'the step should have failed').toBeDefined();
  expect(classifyFailure(err)).toBe('infra');
  expect((err as Error).message).toContain(`${file} is corrupt: ${field}:`);
}

const agent = (a: Record<string, unknown>) =>
  TaskPacketSchema.parse({ objective: 'x', repo: { path: '/r' }, acceptance: { requiredLevel: 'none' }, agent: a as TaskPacketInput['agent'] } satisfies TaskPacketInput).agent;

describe('corrupt idempotency records', () => {
  it('a saved model turn with a wrong-typed field fails infra; the model is not called and the turn is not replaced', async () => {
    const rec = plant('lanes', 'lane-1', turnFile(1), {
      turn: 1,
      reply: { provider: 'scripted', model: 'm', content: [{ type: 'text', text: 'hi' }], stopReason: 'end_turn', usage: { inputTokens: '12', outputTokens: 3 }, scripted: true },
      costUsd: 0,
      compacted: false,
      estimatedInputTokens: 10,
    });
    let calls = 0;
    const acts = createModelActivities({
      store: createArtifactStore({ home }),
      toolSpecs: async () => [],
      provider: () => {
        calls += 1;
        throw new Error('the model must not be called');
      },
    });
    const input = { laneId: 'lane-1', turn: 1, agent: agent({ provider: 'anthropic', model: 'claude-sonnet-4-5' }), objective: 'x', scopePaths: [], worktreePath: home };
    await corruptFailure(acts.modelTurn(input), rec.path, 'reply.usage.inputTokens');
    // Must not: call the model again, or overwrite the saved turn.
    expect(calls).toBe(0);
    expect(readFileSync(rec.path, 'utf8')).toBe(rec.text);
  });

  it('a saved acceptance result with a wrong-typed field fails infra; the commands do not run again', async () => {
    const wt = join(home, 'worktrees', 'lane-1');
    mkdirSync(wt, { recursive: true });
    const rec = plant('lanes', 'lane-1', 'tests/a1-targeted.json', { level: 'targeted', passed: 'yes', summary: 's', results: [] });
    const acts = createTestActivities({ home });
    const run = acts.runAcceptance({ laneId: 'lane-1', cwd: wt, level: 'targeted', commands: [{ name: 'mark', run: 'touch ran' }], timeoutMs: 30_000, attemptKey: 'a1' });
    await corruptFailure(run, rec.path, 'passed');
    expect(existsSync(join(wt, 'ran'))).toBe(false);
    expect(readFileSync(rec.path, 'utf8')).toBe(rec.text);
  });

  it('an agent pass record with a wrong-typed field fails infra; the agent is not started', async () => {
    const rec = plant('lanes', 'lane-1', passFile(1), { pass: 1, kind: 'claude_code', status: 'completed', sessionId: 's', runs: 'one' });
    const acts = createAgentPassActivities({ store: createArtifactStore({ home }), env: { PATH: process.env.PATH } });
    const pass = acts.agentPass({ laneId: 'lane-1', pass: 1, worktreePath: home, agent: agent({ kind: 'claude_code', model: 'claude-sonnet-4-5' }), objective: 'x', scopePaths: [] });
    await corruptFailure(pass, rec.path, 'runs');
    // Must not: start the agent (its stream file would appear) or rewrite the record.
    expect(readdirSync(join(home, 'lanes', 'lane-1', 'agent'))).toEqual(['pass-0001.json']);
    expect(readFileSync(rec.path, 'utf8')).toBe(rec.text);
  });

  it('an MCP call record with a wrong-typed field fails infra; no server is started for the call', async () => {
    const rec = plant('lanes', 'lane-1', 'tools/mcp-c1.json', { qualifiedName: 'mcp__s__t', result: { ok: true, output: 7, restarted: false } });
    const registry = new McpRegistry();
    const acts = createMcpActivities({ home, registry });
    const call = acts.callMcpTool({ laneId: 'lane-1', servers: {}, qualifiedName: 'mcp__s__t', args: {}, callId: 'c1' });
    await corruptFailure(call, rec.path, 'result.output');
    expect(registry.laneIds()).toEqual([]);
    expect(readFileSync(rec.path, 'utf8')).toBe(rec.text);
  });

  it('a saved doctor result with a wrong-typed field fails infra; the doctor does not run again', async () => {
    const rec = plant('runs', 'run-1', 'doctor/batch-1.json', { canary: false, passed: true, head: 42, summary: 's', results: [] });
    const acts = createRunActivities({ home });
    const doctor = acts.runDoctor({ runId: 'run-1', repoPath: join(home, 'no-repo'), integrationBranch: 'b', commands: [{ name: 'ok', run: 'true' }], timeoutMs: 30_000, canary: false, attemptKey: 'batch-1' });
    await corruptFailure(doctor, rec.path, 'head');
    expect(readdirSync(join(home, 'runs', 'run-1'))).toEqual(['doctor']);
    expect(readFileSync(rec.path, 'utf8')).toBe(rec.text);
  });

  it('a process-group record with a wrong-typed pgid is dropped, and the process it names is never killed', async () => {
    const dead = execa('true');
    await dead;
    const live = execa('sleep', ['60'], { detached: true, reject: false });
    try {
      const dir = join(home, 'pgroups');
      mkdirSync(dir);
      // `-"<pid>"` is a number in JavaScript: read without its schema this record would kill the group.
      writeFileSync(join(dir, `${dead.pid}-${live.pid}.json`), JSON.stringify({ workerPid: dead.pid, pgid: String(live.pid) }));
      expect(reapOrphanedGroups(dir)).toEqual([]);
      expect(await isRunningSoon(live.pid!)).toBe(true);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      live.kill('SIGKILL');
    }
  });
});
