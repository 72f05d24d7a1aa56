// Lane policy as pure functions over packet data and lane facts (DESIGN.md §3
// "Policy"). The workflow asks; these answer. Unit-tested without Temporal.
import type { AcceptanceCommand, TaskPacket } from '../packet/schema.js';
import { type GreenLevel, levelRank, mayMerge, WORKTREE_LEVELS, type WorktreeLevel } from './state.js';

/** Worktree levels that have commands, weakest first. */
export function levelsToRun(acceptance: TaskPacket['acceptance']): WorktreeLevel[] {
  return WORKTREE_LEVELS.filter((l) => acceptance[l].length > 0);
}

/**
 * Commands run on the merge candidate. A packet without explicit mergeReady
 * commands re-runs its broadest declared level there, so a merge is never
 * untested against the target's current head.
 */
export function candidateCommands(acceptance: TaskPacket['acceptance']): AcceptanceCommand[] {
  if (acceptance.mergeReady.length > 0) return acceptance.mergeReady;
  const broadest = [...levelsToRun(acceptance)].reverse()[0];
  return broadest ? acceptance[broadest] : [];
}

/**
 * The worktree run of the top level, as landing may reuse it: what ran, with what, on which
 * commit. `head` is null when the run did not start on a clean checkout of a known commit
 * (`why` says what was there), so it cannot stand for a candidate.
 */
export interface TestedRun {
  level: WorktreeLevel;
  attemptKey: string;
  commands: AcceptanceCommand[];
  timeoutMs: number;
  /** laneCommandSandbox(packet) of the run. */
  sandbox: unknown;
  head: string | null;
  why?: string;
}

/** What the host read at landing (git/candidate-reuse.ts CandidateReuseFacts). */
export interface CandidateHostFacts {
  targetInLane: boolean;
  laneTree: string;
  testedTree: string | null;
}

export type CandidateReuseDecision = { reuse: true; level: WorktreeLevel; attemptKey: string; head: string } | { reuse: false; reason: string };

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Whether the merge candidate may land without its own test run: only when it is provably
 * the tree the worktree's top level already ran green on, with the same commands, sandbox
 * and timeout. Without `host` it answers the workflow's part (asked before the candidate is
 * built); with it, the whole rule: the target has nothing the lane lacks and the lane head's
 * tree is the tested one.
 */
export function decideCandidateReuse(
  packet: TaskPacket,
  tested: TestedRun | null,
  candidate: { commands: AcceptanceCommand[]; timeoutMs: number; sandbox: unknown },
  host?: CandidateHostFacts,
): CandidateReuseDecision {
  if (packet.merge.retestCandidate === 'always') return { reuse: false, reason: 'merge.retestCandidate is "always"' };
  const top = levelsToRun(packet.acceptance).at(-1);
  if (!tested || tested.level !== top) return { reuse: false, reason: 'no green worktree run of the top level to reuse' };
  if (tested.head === null) return { reuse: false, reason: tested.why ?? `the ${tested.level} run did not start on a clean checkout` };
  if (!sameJson(tested.commands, candidate.commands)) return { reuse: false, reason: `the candidate's commands (acceptance.mergeReady) are not the ${tested.level} commands that ran` };
  if (tested.timeoutMs !== candidate.timeoutMs || !sameJson(tested.sandbox, candidate.sandbox)) return { reuse: false, reason: `the candidate's sandbox or timeout differ from the ${tested.level} run's` };
  const ok: CandidateReuseDecision = { reuse: true, level: tested.level, attemptKey: tested.attemptKey, head: tested.head };
  if (!host) return ok;
  if (!host.targetInLane) return { reuse: false, reason: 'the target has commits the lane branch lacks' };
  if (host.testedTree === null || host.testedTree !== host.laneTree) return { reuse: false, reason: `the lane head's tree is not the one the ${tested.level} tests ran on` };
  return ok;
}

/** The level reached in the worktree: every level up to it passed, in order. */
export function reachedLevel(results: readonly { level: WorktreeLevel; passed: boolean }[]): GreenLevel {
  let reached: GreenLevel = 'none';
  for (const level of WORKTREE_LEVELS) {
    const r = results.find((x) => x.level === level);
    if (!r) continue;
    if (!r.passed) break;
    reached = level;
  }
  return reached;
}

/** Worktree levels must all pass before landing is even tried. */
export function worktreeGreen(acceptance: TaskPacket['acceptance'], reached: GreenLevel): boolean {
  const declared = levelsToRun(acceptance);
  const top = declared[declared.length - 1];
  return top === undefined || levelRank(reached) >= levelRank(top);
}

export type LandingDecision = { land: true } | { land: false; reason: string };

/** Whether the lane may try to land, before the candidate is built. */
export function decideLanding(packet: TaskPacket, reached: GreenLevel): LandingDecision {
  if (packet.merge.mode === 'none') return { land: false, reason: 'merge.mode is none: the lane stops at its green level' };
  if (!worktreeGreen(packet.acceptance, reached)) return { land: false, reason: `green only at ${reached}` };
  const required = packet.acceptance.requiredLevel;
  // merge_ready is decided on the candidate; lower requirements are checked here.
  if (required !== 'merge_ready' && !mayMerge(reached, required)) return { land: false, reason: `requires ${required}, reached ${reached}` };
  return { land: true };
}

/** The fix-up prompt for a red run: which level failed and the tail of its output. */
export function fixupPrompt(level: GreenLevel, failures: readonly { name: string; exitCode: number | null; tail: string }[]): string {
  const parts = failures.map((f) => `Command \`${f.name}\` exited with ${f.exitCode ?? 'a timeout'}. Output (tail):\n${f.tail}`);
  return `The ${level} acceptance tests failed after your change. Fix the code so they pass; do not change the tests unless they are wrong.\n\n${parts.join('\n\n')}`;
}
