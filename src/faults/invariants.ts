// The durability invariants a lane must keep through a fault, as pure checks over
// what was observed. One module for both callers: the crash drill (one lane, one
// kill point, `checkDrillInvariants`) and chaos runs (a batch of lanes with seeded
// faults, `checkChaosLane`). docs/durability.md lists the guarantees they prove.
import { z } from 'zod';
import type { LaneCommit } from '../git/trailers.js';
import { LaneEventSchema } from '../workflows/events.js';
import type { LaneReport } from '../workflows/lane/api.js';

/** One checked promise; part of the drill and chaos reports (schemas/*-report.schema.json). */
export const InvariantResultSchema = z.object({ name: z.string(), passed: z.boolean(), detail: z.string() }).strict();
export type InvariantResult = z.infer<typeof InvariantResultSchema>;

/** Everything the drill gathered about one lane run. */
export interface DrillObservation {
  laneId: string;
  /** null when the lane did not end within the drill's deadline. */
  report: LaneReport | null;
  /** Fault firings at the drilled point (0 = the point was never reached). */
  firings: number;
  /** Supervisor restarts logged while the lane ran, with the signal that ended each worker. */
  restarts: { signal: string | null; exitCode: number | null }[];
  /** Lane-made commits between the base head and the target head, newest first. */
  targetCommits: LaneCommit[];
  /** Merge commits between the base head and the target head. */
  targetMerges: number;
  /** Model requests the mock server answered for this lane, by 0-based turn index. */
  modelRequestsByTurn: Record<number, number>;
  /** The events query of the finished workflow. */
  workflowEvents: unknown[];
  /** The lines of `lanes/<laneId>/events.jsonl`, parsed. */
  fileEvents: unknown[];
  /** Worktrees left registered in the repository besides its main one, and folders under $LANES_HOME/worktrees. */
  leftoverWorktrees: string[];
  /** `lanes-candidate/*` branches left in the repository. */
  leftoverCandidateBranches: string[];
  /** Processes still alive that belong to the lane (MCP servers, test or tool commands). */
  orphanProcesses: { pid: number; cmd: string }[];
}

export interface DrillExpectation {
  /** The crash lands between the provider's answer and the saved reply: that turn is asked twice. */
  oneTurnAskedTwice: boolean;
  /**
   * An external agent was killed mid-pass: the request it had in flight is asked again by
   * the resumed session (one turn twice) or answered but lost with the run (one request
   * more than the turns counted); either at most once.
   */
  inFlightTurnMayRepeat?: boolean;
  /**
   * Restarts the supervisor must have logged: one after SIGKILL (crash), one after exit 1
   * (exit), none (faults inside the worker), or any (the server was restarted instead).
   */
  workerRestarts: 'one_sigkill' | 'one_exit' | 'none' | 'any';
}

const ok = (name: string, detail: string): InvariantResult => ({ name, passed: true, detail });
const bad = (name: string, detail: string): InvariantResult => ({ name, passed: false, detail });

function faultFired(o: DrillObservation): InvariantResult {
  const name = 'fault_fired_once';
  if (o.firings === 1) return ok(name, 'the fault fired exactly once at the point');
  return bad(name, o.firings === 0 ? 'the lane never reached the kill point: nothing was drilled' : `the fault fired ${o.firings} times (plan said once)`);
}

function workerRestarted(o: DrillObservation, e: DrillExpectation): InvariantResult {
  const name = 'worker_restarted';
  const seen = `${o.restarts.length} (${o.restarts.map((r) => r.signal ?? `exit ${r.exitCode}`).join(', ') || 'none'})`;
  switch (e.workerRestarts) {
    case 'any':
      return ok(name, o.restarts.length === 0 ? 'no worker restart was needed' : `${o.restarts.length} worker restart(s) (allowed when the server restarts)`);
    case 'none':
      return o.restarts.length === 0 ? ok(name, 'the worker kept running (the fault acted inside it)') : bad(name, `expected no worker restart, saw ${seen}`);
    case 'one_sigkill':
      return o.restarts.length === 1 && o.restarts[0]!.signal === 'SIGKILL' ? ok(name, 'the supervisor restarted the SIGKILLed worker once') : bad(name, `expected one restart after SIGKILL, saw ${seen}`);
    case 'one_exit':
      return o.restarts.length === 1 && o.restarts[0]!.exitCode === 1 ? ok(name, 'the supervisor restarted the exited worker once') : bad(name, `expected one restart after exit 1, saw ${seen}`);
  }
}

function terminalState(o: DrillObservation): InvariantResult {
  const name = 'terminal_state';
  const r = o.report;
  if (!r) return bad(name, 'the lane did not finish within the drill deadline');
  if (r.state === 'finished' && r.landed && r.greenLevel === 'merge_ready') return ok(name, `finished, landed at ${r.mergeCommit?.slice(0, 10) ?? '(already landed)'}, green merge_ready`);
  return bad(name, `expected finished + landed + merge_ready, got ${r.state}, landed=${r.landed}, green ${r.greenLevel}${r.failureClass ? `, ${r.failureClass}` : ''}: ${r.detail}`);
}

function oneMergeCommit(o: DrillObservation): InvariantResult {
  const name = 'one_merge_commit';
  const land = o.targetCommits.filter((c) => c.laneId === o.laneId && c.step === 'land');
  if (land.length === 1 && o.targetMerges === 1) return ok(name, `one land commit ${land[0]!.sha.slice(0, 10)} in the target`);
  return bad(name, `expected exactly one merge commit in the target, found ${o.targetMerges} merge(s), ${land.length} land commit(s) for the lane`);
}

/** Lane steps committed more than once among the target's commits. */
function duplicatedSteps(laneId: string, commits: readonly LaneCommit[]): [string, number][] {
  const steps = new Map<string, number>();
  for (const c of commits) {
    if (c.laneId !== laneId || c.step === null) continue;
    steps.set(c.step, (steps.get(c.step) ?? 0) + 1);
  }
  return [...steps].filter(([, n]) => n > 1);
}

/** Every lane step reached the target once; with `requireCommits`, at least one did. */
function noDuplicateCommits(laneId: string, commits: readonly LaneCommit[], opts: { reportShas?: string[]; requireCommits: boolean }): InvariantResult {
  const name = 'no_duplicate_commits';
  const dup = duplicatedSteps(laneId, commits);
  const reportShas = opts.reportShas ?? [];
  const reportDup = reportShas.length !== new Set(reportShas).size;
  const steps = new Set(commits.filter((c) => c.laneId === laneId && c.step !== null).map((c) => c.step));
  if (dup.length === 0 && !reportDup && (steps.size > 0 || !opts.requireCommits)) return ok(name, `one commit per lane step (${[...steps].join(', ') || 'none'})`);
  if (steps.size === 0) return bad(name, 'no lane commits reached the target');
  return bad(name, `duplicated: ${dup.map(([s, n]) => `${s} x${n}`).join(', ') || 'the report lists a commit twice'}`);
}

function modelTurnsBilledOnce(o: DrillObservation, e: DrillExpectation): InvariantResult {
  const name = 'model_turns_billed_once';
  const entries = Object.entries(o.modelRequestsByTurn).map(([t, n]) => [Number(t), n] as const);
  const twice = entries.filter(([, n]) => n === 2);
  const more = entries.filter(([, n]) => n > 2);
  const total = entries.reduce((s, [, n]) => s + n, 0);
  const turns = o.report?.usage.turns;
  const summary = `${total} request(s) for ${entries.length} turn(s)${turns !== undefined ? `; the lane counted ${turns}` : ''}`;
  if (more.length > 0) return bad(name, `turn(s) ${more.map(([t, n]) => `${t} asked ${n} times`).join(', ')}; ${summary}`);
  if (e.inFlightTurnMayRepeat) {
    if (twice.length <= 1 && (turns === undefined || (total >= turns && total <= turns + 1))) return ok(name, `at most the in-flight turn asked again; ${summary}`);
    return bad(name, `expected at most one extra request for the turn in flight at the kill; ${summary}`);
  }
  if (e.oneTurnAskedTwice) {
    // The reply was received but not saved when the worker died: asking again is the price, once.
    if (twice.length === 1 && (turns === undefined || total === turns + 1)) return ok(name, `exactly one turn (${twice[0]![0]}) asked twice, as the kill point implies; ${summary}`);
    return bad(name, `expected exactly one turn asked twice, got ${twice.length}; ${summary}`);
  }
  if (twice.length === 0 && (turns === undefined || total === turns)) return ok(name, `every turn asked once; ${summary}`);
  return bad(name, `${twice.length ? `turn(s) ${twice.map(([t]) => t).join(', ')} asked twice` : 'request count differs from the turns the lane counted'}; ${summary}`);
}

function seqProblems(events: unknown[], source: string): string[] {
  const problems: string[] = [];
  events.forEach((raw, i) => {
    const parsed = LaneEventSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      problems.push(`${source} event ${i + 1}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
      return;
    }
    if (parsed.data.seq !== i + 1) problems.push(`${source} event ${i + 1} has seq ${parsed.data.seq} (gap or duplicate)`);
  });
  return problems;
}

/** Schema-valid, seq 1..n with no gap or repeat; with `fileEvents`, events.jsonl holds the same n. */
function eventsValid(workflowEvents: unknown[], fileEvents?: unknown[]): InvariantResult {
  const name = 'events_valid_gap_free';
  const problems = [...seqProblems(workflowEvents, 'workflow'), ...(fileEvents ? seqProblems(fileEvents, 'events.jsonl') : [])];
  if (workflowEvents.length === 0) problems.push('the workflow reported no events');
  if (fileEvents && fileEvents.length !== workflowEvents.length) problems.push(`events.jsonl has ${fileEvents.length} events, the workflow ${workflowEvents.length}`);
  const where = fileEvents ? ' in the workflow and events.jsonl' : '';
  if (problems.length === 0) return ok(name, `${workflowEvents.length} events, schema-valid, seq 1..${workflowEvents.length}${where}`);
  return bad(name, problems.slice(0, 3).join('; ') + (problems.length > 3 ? ` (+${problems.length - 3} more)` : ''));
}

function noOrphanedWorktree(leftovers: string[]): InvariantResult {
  return leftovers.length === 0 ? ok('no_orphaned_worktree', 'lane and candidate worktrees removed') : bad('no_orphaned_worktree', `left behind: ${leftovers.join(', ')}`);
}

function noOrphans(o: DrillObservation): InvariantResult[] {
  return [
    noOrphanedWorktree([...o.leftoverWorktrees, ...o.leftoverCandidateBranches.map((b) => `branch ${b}`)]),
    o.orphanProcesses.length === 0
      ? ok('no_orphaned_process', 'no MCP server, test or tool process of the lane is alive')
      : bad('no_orphaned_process', `alive: ${o.orphanProcesses.map((p) => `${p.pid} ${p.cmd.slice(0, 80)}`).join('; ')}`),
  ];
}

/** The drill's verdict on one lane run, invariant by invariant. */
export function checkDrillInvariants(o: DrillObservation, e: DrillExpectation): InvariantResult[] {
  return [
    faultFired(o),
    workerRestarted(o, e),
    terminalState(o),
    oneMergeCommit(o),
    noDuplicateCommits(o.laneId, o.targetCommits, { reportShas: o.report?.commits.map((c) => c.sha), requireCommits: true }),
    modelTurnsBilledOnce(o, e),
    eventsValid(o.workflowEvents, o.fileEvents),
    ...noOrphans(o),
  ];
}

/** What a chaos run gathered about one of its lanes. */
export interface ChaosLaneFacts {
  laneId: string;
  /** Terminal state from the lane's report; null when it did not end. */
  state: string | null;
  /** Whether the lane was ever blocked (from its events). */
  wasBlocked: boolean;
  /** Lane commits reachable from the target since the run began. */
  targetCommits: LaneCommit[];
  events: unknown[];
  leftoverWorktrees: string[];
  /** External agent passes (none for builtin lanes): each pass's record and final results printed. */
  agentPasses?: { pass: number; status: string; runs: number; finals: number }[];
}

export const ChaosInvariantSchema = InvariantResultSchema.extend({ laneId: z.string() }).strict();
export type ChaosInvariant = z.infer<typeof ChaosInvariantSchema>;

/**
 * External agent lanes: no pass ran to completion twice (at most one final result across its
 * runs, exactly one once it is recorded completed), and no agent turn became two events.
 */
function agentPassesOnce(passes: NonNullable<ChaosLaneFacts['agentPasses']>, events: unknown[]): InvariantResult {
  const name = 'agent_pass_completed_once';
  const problems = passes.flatMap((p) => (p.finals > 1 || (p.status === 'completed' && p.finals !== 1) ? [`pass ${p.pass}: ${p.finals} final result(s) over ${p.runs} run(s), ${p.status}`] : []));
  const seen = new Set<string>();
  for (const raw of events) {
    const e = raw as { type?: string; data?: { pass?: unknown; agentTurn?: unknown } };
    if (e.type !== 'lane.turn.completed' || e.data?.agentTurn === undefined) continue;
    const key = `${String(e.data.pass)}/${String(e.data.agentTurn)}`;
    if (seen.has(key)) problems.push(`pass ${String(e.data.pass)} turn ${String(e.data.agentTurn)} emitted twice`);
    seen.add(key);
  }
  if (problems.length === 0) return ok(name, passes.map((p) => `pass ${p.pass}: completed once after ${p.runs} run(s)`).join('; '));
  return bad(name, problems.slice(0, 3).join('; '));
}

/**
 * A chaos lane's verdict: the drill's promises where a batch can check them, plus
 * "no merge when blocked". A lane may not land at all (its fault can block it), so
 * landing is at most once rather than exactly once.
 */
export function checkChaosLane(f: ChaosLaneFacts): ChaosInvariant[] {
  const lands = f.targetCommits.filter((c) => c.laneId === f.laneId && c.step === 'land');
  const results: InvariantResult[] = [
    f.state === 'finished' ? ok('terminal_state', 'the lane finished despite its fault') : bad('terminal_state', `the lane ended ${f.state ?? 'never'}`),
    lands.length <= 1 ? ok('at_most_one_land', `${lands.length} land commit(s) for this lane in the target`) : bad('at_most_one_land', `${lands.length} land commit(s) for this lane in the target`),
    noDuplicateCommits(f.laneId, f.targetCommits, { requireCommits: false }),
    f.wasBlocked && f.state !== 'finished' && lands.length > 0 ? bad('no_merge_when_blocked', 'a blocked lane that did not finish landed') : ok('no_merge_when_blocked', f.wasBlocked ? 'blocked lane, nothing landed while blocked' : 'never blocked'),
    eventsValid(f.events),
    noOrphanedWorktree(f.leftoverWorktrees),
    ...(f.agentPasses && f.agentPasses.length > 0 ? [agentPassesOnce(f.agentPasses, f.events)] : []),
  ];
  return results.map((r) => ({ laneId: f.laneId, ...r }));
}
