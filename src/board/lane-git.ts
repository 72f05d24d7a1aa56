// What a lane changed, read from its repository: the lane branch's diff against the
// commit it started from, and its commits. Read-only git; every failure becomes a note.
import { existsSync } from 'node:fs';
import { runGit } from '../git/client.js';
import { resolveCommit } from '../git/refs.js';

/** Characters of patch text the lane page shows (the rest is cut with a note). */
export const DIFF_CAP_CHARS = 200_000;
/** Commits the lane page lists at most. */
export const COMMITS_CAP = 200;

export interface LaneGitView {
  /** e.g. "3f2a1b0c4d...lanes/my-lane". */
  range: string;
  stat: string;
  patch: string;
  truncated: boolean;
  commits: { sha: string; subject: string }[];
}

export type LaneGitResult = { ok: true; view: LaneGitView } | { ok: false; reason: string };

export interface LaneGitInput {
  repo: string | null;
  branch: string | null;
  /** The commit the lane's worktree started from (lane.ready), else the base branch. */
  base: string | null;
  /** The commit that landed the lane, when the branch itself is gone. */
  mergeCommit: string | null;
}

/**
 * The lane branch against its base: `base...branch` (what the branch added since it
 * forked). When the branch no longer exists but the lane landed, the landing commit
 * against its first parent is what reached the target.
 */
export async function laneGitView(input: LaneGitInput): Promise<LaneGitResult> {
  const { repo, branch, base, mergeCommit } = input;
  if (!repo || !existsSync(repo)) return { ok: false, reason: `the repository ${repo ?? '(unknown)'} is not on this machine` };
  try {
    const head = branch ? await resolveCommit(repo, `refs/heads/${branch}`) : null;
    let from: string | null = null;
    let to: string | null = null;
    let range: string;
    if (head && base && (await resolveCommit(repo, base))) {
      from = base;
      to = head;
      range = `${base.length === 40 ? base.slice(0, 10) : base}...${branch}`;
    } else if (mergeCommit && (await resolveCommit(repo, mergeCommit)) && (await resolveCommit(repo, `${mergeCommit}^1`))) {
      from = `${mergeCommit}^1`;
      to = mergeCommit;
      range = `${mergeCommit.slice(0, 10)}^1..${mergeCommit.slice(0, 10)} (the landing; ${branch ?? 'the lane branch'} is gone)`;
    } else {
      return { ok: false, reason: `neither ${branch ?? 'the lane branch'} nor a landing commit can be found in ${repo}` };
    }
    const spec = from === `${mergeCommit}^1` ? [from, to] : [`${from}...${to}`];
    const [stat, patch, log] = await Promise.all([
      runGit(repo, ['diff', '--stat', '--no-color', ...spec, '--']),
      runGit(repo, ['diff', '--no-color', '--no-ext-diff', ...spec, '--']),
      runGit(repo, ['log', '--no-color', `--max-count=${COMMITS_CAP}`, '--format=%H%x09%s', `${from}..${to}`, '--']),
    ]);
    const commits = log
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [sha, ...rest] = l.split('\t');
        return { sha: sha!, subject: rest.join('\t') };
      });
    const truncated = patch.length > DIFF_CAP_CHARS;
    return { ok: true, view: { range, stat: stat.trim(), patch: truncated ? patch.slice(0, DIFF_CAP_CHARS) : patch, truncated, commits } };
  } catch (e) {
    return { ok: false, reason: `git could not read the lane's changes: ${(e as Error).message.split('\n')[0]}` };
  }
}
