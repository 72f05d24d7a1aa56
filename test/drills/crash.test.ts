// `lanes drill crash` through the built CLI: SIGKILL the supervised worker at four
// kill points on the run's dev server, and restart the drill's own dev server
// mid-lane; every invariant of docs/durability.md must hold. The full matrix is
// `lanes drill crash --all` (docs/durability.md).
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KILL_POINTS, pointsForAgent } from '../../src/faults/points.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type CrashDrillReport, CrashDrillReportSchema } from '../../src/drill/report.js';
import { runCli } from '../support/cli.js';

const INVARIANTS = [
  'fault_fired_once',
  'worker_restarted',
  'terminal_state',
  'one_merge_commit',
  'no_duplicate_commits',
  'model_turns_billed_once',
  'events_valid_gap_free',
  'no_orphaned_worktree',
  'no_orphaned_process',
  'worker_stopped',
];

let dir: string;
let env: NodeJS.ProcessEnv;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lanes-drill-test-'));
  env = { LANES_HOME: join(dir, 'cli-home'), TEMPORAL_ADDRESS: inject('temporalAddress'), TEMPORAL_NAMESPACE: inject('temporalNamespace'), TEMPORAL_CLI_PATH: inject('temporalBinary') };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function failures(r: CrashDrillReport): string[] {
  return r.points.flatMap((p) => p.invariants.filter((i) => !i.passed).map((i) => `${p.point}: ${i.name}: ${i.detail} (kept ${p.dir})`));
}

describe('lanes drill crash', () => {
  it('--all: SIGKILLs the worker at every kill point and every lane lands once, resuming within seconds', async () => {
    const runs = join(dir, 'worker-kill');
    const r = await runCli(['--json', 'drill', 'crash', '--all', '--dir', runs], { env, timeoutMs: 480_000 });
    const report = CrashDrillReportSchema.parse(r.json());
    expect(failures(report)).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(report).toMatchObject({ schema: 'lanes.drill/v1', drill: 'crash', mode: 'worker_kill', passed: true, server: { address: inject('temporalAddress'), startedByDrill: false } });
    expect(report.points.map((p) => p.point)).toEqual(pointsForAgent('builtin'));
    expect(report.points.map((p) => p.point)).not.toContain('mid_agent_pass');
    for (const p of report.points) {
      expect(p.invariants.map((i) => i.name)).toEqual(INVARIANTS);
      expect(p.resumeLatencyMs).toBeGreaterThan(0);
      expect(p.resumeLatencyMs).toBeLessThan(30_000);
      expect(p.dir).toBeNull();
    }
    // The killed step is the one retried (attempt 2), not skipped and not redone elsewhere.
    expect(report.points.map((p) => p.resumedWith)).toEqual([
      'openLane#2',
      'startMcp#2',
      'modelTurn#2',
      'modelTurn#2',
      'executeToolCall#2',
      'runAcceptance#2',
      'commitWork#2',
      'prepareCandidate#2',
      'advanceTarget#2',
    ]);
    // mid_model_turn: the reply was lost with the worker, so exactly that one turn was asked twice.
    expect(report.points[KILL_POINTS.indexOf('mid_model_turn')]!.invariants.find((i) => i.name === 'model_turns_billed_once')!.detail).toMatch(/^exactly one turn \(\d+\) asked twice/);
    expect(report.points[0]!.invariants.find((i) => i.name === 'model_turns_billed_once')!.detail).toMatch(/^every turn asked once/);
    // Passing runs leave nothing behind.
    expect(readdirSync(runs)).toEqual([]);
  }, 480_000); // ten kill points since mid_agent_pass; the CLI bounds itself at 480 s too

  it.each([
    ['claude_code', 'claude'],
    ['codex', 'codex'],
  ])('--agent %s: SIGKILL of the worker mid-pass resumes the real %s session; the lane lands once without a second completed pass', async (agent) => {
    const runs = join(dir, `agent-${agent}`);
    const r = await runCli(['--json', 'drill', 'crash', '--agent', agent, '--at', 'mid_agent_pass', '--dir', runs], { env, timeoutMs: 300_000 });
    const report = CrashDrillReportSchema.parse(r.json());
    // Strict for every kind: a reply the killed run received is counted from the agent's own
    // transcript (claude) or asked again once by the resumed session; never billed twice.
    expect(failures(report)).toEqual([]);
    expect(r.exitCode).toBe(0);
    const p = report.points[0]!;
    expect(p.point).toBe('mid_agent_pass');
    expect(p.invariants.map((i) => i.name)).toEqual([...INVARIANTS.slice(0, -1), 'agent_session_resumed', 'worker_stopped']);
    // The killed pass is the one retried (attempt 2), which resumed the saved session.
    expect(p.resumedWith).toBe('agentPass#2');
    expect(p.invariants.find((i) => i.name === 'agent_session_resumed')!.detail).toMatch(/completed after 2 run\(s\), session \S+ resumed/);
  }, 360_000);

  it('--server-restart SIGKILLs and restarts its own dev server (same SQLite) mid-lane and the lane still lands once', async () => {
    const r = await runCli(['--json', 'drill', 'crash', '--server-restart', '--dir', join(dir, 'server-restart')], { env, timeoutMs: 240_000 });
    const report = CrashDrillReportSchema.parse(r.json());
    expect(failures(report)).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(report).toMatchObject({ mode: 'server_restart', passed: true, server: { startedByDrill: true } });
    expect(report.server.address).not.toBe(inject('temporalAddress'));
    expect(report.points).toHaveLength(1);
    const p = report.points[0]!;
    expect(p.point).toBe('mid_tests');
    expect(p.invariants.map((i) => i.name)).toEqual(INVARIANTS);
    expect(p.restartMs).toBeGreaterThan(0);
    expect(p.resumeLatencyMs).not.toBeNull();
  });

  it('--fault mcp_crash kills the lane\'s MCP server mid-lane; the worker keeps running and the tool call is served by a restarted server', async () => {
    const r = await runCli(['--json', 'drill', 'crash', '--fault', 'mcp_crash', '--at', 'after_reply_saved', '--keep', '--dir', join(dir, 'mcp-crash')], { env, timeoutMs: 180_000 });
    const report = CrashDrillReportSchema.parse(r.json());
    expect(failures(report)).toEqual([]);
    expect(r.exitCode).toBe(0);
    const p = report.points[0]!;
    expect(p.invariants.find((i) => i.name === 'worker_restarted')!.detail).toMatch(/kept running/);
    // The MCP call is the next step, on the same worker: attempt 1, not a retry after a crash.
    expect(p.resumedWith).toBe('executeToolCall#1');
    // --keep: the run folder shows the call answered by a second server process.
    const tools = join(p.dir!, 'home', 'lanes', p.laneId, 'tools');
    const call = readdirSync(tools).find((f) => f.startsWith('mcp-'))!;
    expect(JSON.parse(readFileSync(join(tools, call), 'utf8')).result).toMatchObject({ ok: true, output: 'drill', restarted: true });
    expect(readFileSync(join(p.dir!, 'mcp-spawns.log'), 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('refuses to run without a kill point or with an unknown one (exit 2), starting nothing', async () => {
    const none = await runCli(['--json', 'drill', 'crash'], { env });
    expect(none.exitCode).toBe(2);
    expect(none.json().error.hint).toMatch(/after_worktree/);
    const unknown = await runCli(['--json', 'drill', 'crash', '--at', 'nowhere'], { env });
    expect(unknown.exitCode).toBe(2);
    expect(unknown.json().error.message).toMatch(/unknown kill point "nowhere"/);
    expect(unknown.stdout).not.toContain('lanes.drill/v1');
  });
});
