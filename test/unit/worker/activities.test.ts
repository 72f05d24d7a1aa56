import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ModelTurnInput } from '../../../src/activities/model.js';
import { McpRegistry } from '../../../src/mcp/registry.js';
import { TaskPacketSchema } from '../../../src/packet/schema.js';
import { createActivities } from '../../../src/worker/activities.js';
import { classifyFailure, failureDetails } from '../../../src/failures.js';

const dirs: string[] = [];
const envBefore = process.env.LANES_CONTEXT_WINDOWS;
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  if (envBefore === undefined) delete process.env.LANES_CONTEXT_WINDOWS;
  else process.env.LANES_CONTEXT_WINDOWS = envBefore;
});

function setup(contextWindows?: Record<string, number>) {
  const home = mkdtempSync(join(tmpdir(), 'lanes-acts-'));
  dirs.push(home);
  const acts = createActivities({ home, hostQueue: 'q@h', hostId: 'h', trustedRoots: [home], mcpRegistry: new McpRegistry(), ...(contextWindows ? { contextWindows } : {}) });
  return { home, acts };
}

function turn(home: string, laneId: string): ModelTurnInput {
  const { agent } = TaskPacketSchema.parse({
    objective: 'x',
    repo: { path: home },
    acceptance: { targeted: ['true'] },
    agent: { provider: 'scripted', model: 'tiny-local-model', maxTokens: 1000, permissionMode: 'read_only', script: [{ text: 'done' }] },
  });
  return { laneId, turn: 1, agent, objective: 'Say done.', scopePaths: [], worktreePath: home };
}

async function outcome(p: Promise<unknown>): Promise<unknown> {
  try {
    return await p;
  } catch (e) {
    return e;
  }
}

describe('worker/activities', () => {
  it('registers postLaneSummary beside the other activities', () => {
    const { acts } = setup({});
    expect(typeof acts.postLaneSummary).toBe('function');
    expect(typeof acts.modelTurn).toBe('function');
  });

  it('passes context-window overrides to the model preflight (a tiny window refuses the turn as context_window)', async () => {
    const { home, acts } = setup({ 'tiny-local': 1200 });
    const err = await outcome(acts.modelTurn(turn(home, 'lane-tiny')));
    expect(classifyFailure(err, 'infra')).toBe('context_window');
    expect(failureDetails(err).contextWindow).toBe(1200);
  });

  it('without an override the same turn runs against the default window', async () => {
    const { home, acts } = setup({});
    const out = await acts.modelTurn(turn(home, 'lane-default'));
    expect(out).toMatchObject({ scripted: true, text: 'done', replayed: false });
  });

  it('reads overrides from $LANES_HOME/config.json and LANES_CONTEXT_WINDOWS when none are passed', async () => {
    const fromFile = mkdtempSync(join(tmpdir(), 'lanes-acts-'));
    dirs.push(fromFile);
    writeFileSync(join(fromFile, 'config.json'), JSON.stringify({ contextWindows: { 'tiny-local': 1100 } }));
    delete process.env.LANES_CONTEXT_WINDOWS;
    const a = createActivities({ home: fromFile, hostQueue: 'q@h', hostId: 'h', trustedRoots: [fromFile], mcpRegistry: new McpRegistry() });
    expect(failureDetails(await outcome(a.modelTurn(turn(fromFile, 'lane-file')))).contextWindow).toBe(1100);

    process.env.LANES_CONTEXT_WINDOWS = '{"tiny-local-model":1050}';
    const b = createActivities({ home: fromFile, hostQueue: 'q@h', hostId: 'h', trustedRoots: [fromFile], mcpRegistry: new McpRegistry() });
    expect(failureDetails(await outcome(b.modelTurn(turn(fromFile, 'lane-env')))).contextWindow).toBe(1050);
  });

  it('fails at worker start, not in a lane, on a malformed LANES_CONTEXT_WINDOWS', () => {
    process.env.LANES_CONTEXT_WINDOWS = 'not json';
    expect(() => setup()).toThrow(/LANES_CONTEXT_WINDOWS is not valid JSON/);
  });
});
