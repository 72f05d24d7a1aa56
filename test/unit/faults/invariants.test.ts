import { describe, expect, it } from 'vitest';
import { type ChaosLaneFacts, checkChaosLane, checkDrillInvariants, type DrillExpectation, type DrillObservation } from '../../../src/faults/invariants.js';
import type { LaneReport } from '../../../src/workflows/lane/api.js';

const laneId = 'drill-x';
const event = (seq: number) => ({ schema: 'lanes.event/v1', seq, ts: '2026-01-01T00:00:00.000Z', laneId, type: 'lane.started', state: 'spawning', greenLevel: 'none', detail: '', data: {} });
const report = { state: 'finished', landed: true, greenLevel: 'merge_ready', mergeCommit: 'm'.repeat(40), failureClass: null, detail: 'ok', commits: [{ sha: 'a'.repeat(40), step: 'work-1' }], usage: { turns: 4 } } as unknown as LaneReport;

function healthy(): DrillObservation {
  return {
    laneId,
    report,
    firings: 1,
    restarts: [{ signal: 'SIGKILL', exitCode: null }],
    targetCommits: [
      { sha: 'm'.repeat(40), subject: 'Merge', laneId, step: 'land' },
      { sha: 'a'.repeat(40), subject: 'work', laneId, step: 'work-1' },
    ],
    targetMerges: 1,
    modelRequestsByTurn: { 0: 1, 1: 1, 2: 1, 3: 1 },
    workflowEvents: [event(1), event(2)],
    fileEvents: [event(1), event(2)],
    leftoverWorktrees: [],
    leftoverCandidateBranches: [],
    orphanProcesses: [],
  };
}
const expectation: DrillExpectation = { oneTurnAskedTwice: false, workerRestarts: 'one_sigkill' };
const broken = (o: DrillObservation, e: DrillExpectation = expectation) => checkDrillInvariants(o, e).filter((i) => !i.passed).map((i) => i.name);

describe('faults/invariants', () => {
  it('passes a lane that recovered cleanly', () => {
    expect(broken(healthy())).toEqual([]);
  });

  it.each<[string, (o: DrillObservation) => void, string]>([
    ['the point was never reached', (o) => (o.firings = 0), 'fault_fired_once'],
    ['the worker was never restarted', (o) => (o.restarts = []), 'worker_restarted'],
    ['the lane did not finish', (o) => (o.report = null), 'terminal_state'],
    ['the lane failed', (o) => (o.report = { ...report, state: 'failed', landed: false }), 'terminal_state'],
    ['two merges landed', (o) => (o.targetMerges = 2), 'one_merge_commit'],
    ['a step was committed twice', (o) => o.targetCommits.push({ sha: 'b'.repeat(40), subject: 'work', laneId, step: 'work-1' }), 'no_duplicate_commits'],
    ['a turn was billed twice', (o) => (o.modelRequestsByTurn[2] = 2), 'model_turns_billed_once'],
    ['events.jsonl has a gap', (o) => (o.fileEvents = [event(1), event(3)]), 'events_valid_gap_free'],
    ['an event is not schema-valid', (o) => (o.workflowEvents = [event(1), { ...event(2), type: 'lane.exploded' }]), 'events_valid_gap_free'],
    ['a worktree was left', (o) => o.leftoverWorktrees.push('/h/worktrees/drill-x'), 'no_orphaned_worktree'],
    ['a candidate branch was left', (o) => o.leftoverCandidateBranches.push('lanes-candidate/drill-x'), 'no_orphaned_worktree'],
    ['an MCP server survived', (o) => o.orphanProcesses.push({ pid: 42, cmd: 'node echo-server.js' }), 'no_orphaned_process'],
  ])('breaks when %s', (_why, mutate, invariant) => {
    const o = healthy();
    mutate(o);
    expect(broken(o)).toEqual([invariant]);
  });

  it('at mid_model_turn demands exactly one turn asked twice, no more and no less', () => {
    const e: DrillExpectation = { oneTurnAskedTwice: true, workerRestarts: 'one_sigkill' };
    const once = healthy();
    expect(broken(once, e)).toEqual(['model_turns_billed_once']);
    const twice = healthy();
    twice.modelRequestsByTurn[0] = 2;
    expect(broken(twice, e)).toEqual([]);
    const twoTurnsTwice = healthy();
    twoTurnsTwice.modelRequestsByTurn[0] = 2;
    twoTurnsTwice.modelRequestsByTurn[1] = 2;
    expect(broken(twoTurnsTwice, e)).toEqual(['model_turns_billed_once']);
  });

  it('does not require a restart when the server, not the worker, was restarted', () => {
    const o = healthy();
    o.restarts = [];
    expect(broken(o, { oneTurnAskedTwice: false, workerRestarts: 'any' })).toEqual([]);
  });

  it('demands no restart for faults inside the worker, and one exit-1 restart for exit', () => {
    const inside = healthy();
    expect(broken(inside, { oneTurnAskedTwice: false, workerRestarts: 'none' })).toEqual(['worker_restarted']);
    inside.restarts = [];
    expect(broken(inside, { oneTurnAskedTwice: false, workerRestarts: 'none' })).toEqual([]);
    const exited = healthy();
    expect(broken(exited, { oneTurnAskedTwice: false, workerRestarts: 'one_exit' })).toEqual(['worker_restarted']);
    exited.restarts = [{ signal: null, exitCode: 1 }];
    expect(broken(exited, { oneTurnAskedTwice: false, workerRestarts: 'one_exit' })).toEqual([]);
  });
});

describe('faults/invariants: chaos lanes', () => {
  const facts = (): ChaosLaneFacts => ({
    laneId,
    state: 'finished',
    wasBlocked: false,
    targetCommits: [
      { sha: 'm'.repeat(40), subject: 'Merge', laneId, step: 'land' },
      { sha: 'a'.repeat(40), subject: 'work', laneId, step: 'work-1' },
    ],
    events: [event(1), event(2)],
    leftoverWorktrees: [],
  });
  const brokenChaos = (f: ChaosLaneFacts) => checkChaosLane(f).filter((i) => !i.passed).map((i) => i.name);

  it('passes a lane that finished through its fault, and names the lane on every result', () => {
    const results = checkChaosLane(facts());
    expect(results.filter((r) => !r.passed)).toEqual([]);
    expect(new Set(results.map((r) => r.laneId))).toEqual(new Set([laneId]));
  });

  it.each<[string, (f: ChaosLaneFacts) => void, string[]]>([
    ['the lane failed', (f) => (f.state = 'failed'), ['terminal_state']],
    ['a blocked lane that failed landed', (f) => Object.assign(f, { state: 'failed', wasBlocked: true }), ['terminal_state', 'no_merge_when_blocked']],
    ['the lane landed twice', (f) => f.targetCommits.push({ sha: 'n'.repeat(40), subject: 'Merge', laneId, step: 'land' }), ['at_most_one_land', 'no_duplicate_commits']],
    ['an event seq repeats (the same check the drill runs)', (f) => (f.events = [event(1), event(1)]), ['events_valid_gap_free']],
    ['a worktree was left', (f) => f.leftoverWorktrees.push('/h/worktrees/x'), ['no_orphaned_worktree']],
  ])('breaks when %s', (_why, mutate, invariants) => {
    const f = facts();
    mutate(f);
    expect(brokenChaos(f)).toEqual(invariants);
  });

  it('external agent lanes: breaks when a pass completed twice or one agent turn became two events', () => {
    const agentFacts = (): ChaosLaneFacts => ({ ...facts(), agentPasses: [{ pass: 1, status: 'completed', runs: 2, finals: 1 }] });
    expect(brokenChaos(agentFacts())).toEqual([]);
    expect(checkChaosLane(agentFacts()).find((i) => i.name === 'agent_pass_completed_once')!.detail).toBe('pass 1: completed once after 2 run(s)');
    const twice = agentFacts();
    twice.agentPasses![0]!.finals = 2;
    expect(brokenChaos(twice)).toEqual(['agent_pass_completed_once']);
    const noResult = agentFacts();
    noResult.agentPasses![0]!.finals = 0;
    expect(brokenChaos(noResult)).toEqual(['agent_pass_completed_once']);
    const dupEvents = agentFacts();
    const turnEvent = (seq: number, agentTurn: number) => ({ ...event(seq), type: 'lane.turn.completed', data: { pass: 1, agentTurn } });
    dupEvents.events = [event(1), turnEvent(2, 1), turnEvent(3, 2), turnEvent(4, 1)];
    expect(checkChaosLane(dupEvents).find((i) => i.name === 'agent_pass_completed_once')).toMatchObject({ passed: false, detail: 'pass 1 turn 1 emitted twice' });
    // Must NOT happen: builtin lanes (no agent passes) judged by it.
    expect(checkChaosLane(facts()).map((i) => i.name)).not.toContain('agent_pass_completed_once');
  });

  it('does not demand a land: a chaos lane whose fault blocked it may end without commits', () => {
    expect(brokenChaos({ ...facts(), targetCommits: [] })).toEqual([]);
  });
});
