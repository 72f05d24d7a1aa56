// What a chaos run checks for every lane it ran: the drill's promises plus
// "no merge when blocked". Pure: the activity gathers the facts.
import type { LaneCommit } from '../git/trailers.js';
import { LaneEventSchema } from '../workflows/events.js';

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
}

export interface ChaosInvariant {
  laneId: string;
  name: string;
  passed: boolean;
  detail: string;
}

export function checkChaosLane(f: ChaosLaneFacts): ChaosInvariant[] {
  const out: ChaosInvariant[] = [];
  const add = (name: string, passed: boolean, detail: string) => out.push({ laneId: f.laneId, name, passed, detail });
  const mine = f.targetCommits.filter((c) => c.laneId === f.laneId);
  const lands = mine.filter((c) => c.step === 'land');
  add('terminal_state', f.state === 'finished', f.state === 'finished' ? 'the lane finished despite its fault' : `the lane ended ${f.state ?? 'never'}`);
  add('at_most_one_land', lands.length <= 1, `${lands.length} land commit(s) for this lane in the target`);
  const steps = mine.map((c) => c.step ?? '');
  const dupes = steps.filter((s, i) => steps.indexOf(s) !== i);
  add('no_duplicate_commits', dupes.length === 0, dupes.length ? `duplicated steps: ${[...new Set(dupes)].join(', ')}` : 'every lane step committed once');
  add('no_merge_when_blocked', !(f.wasBlocked && f.state !== 'finished' && lands.length > 0), f.wasBlocked ? 'blocked lane' : 'never blocked');
  const parsed = f.events.map((e) => LaneEventSchema.safeParse(e));
  const bad = parsed.filter((p) => !p.success).length;
  const seqs = parsed.flatMap((p) => (p.success ? [p.data.seq] : []));
  const gapFree = seqs.every((s, i) => s === i + 1);
  add('events_valid', bad === 0 && gapFree && seqs.length > 0, bad ? `${bad} event(s) fail the schema` : gapFree ? `${seqs.length} events, gap-free` : 'seq has gaps or repeats');
  add('no_orphaned_worktree', f.leftoverWorktrees.length === 0, f.leftoverWorktrees.length ? `left: ${f.leftoverWorktrees.join(', ')}` : 'worktrees removed');
  return out;
}
