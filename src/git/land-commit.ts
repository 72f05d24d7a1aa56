// The land commit written with plumbing, never in a checkout: `merge-tree --write-tree` merges
// target and lane in the object store (the same merge-ort a `git merge` runs), `commit-tree`
// writes the commit. A conflict leaves no checkout, no MERGE_HEAD and no ref behind: only
// unreferenced tree objects that gc collects. The candidate worktree is then one checkout of
// the finished commit (landing.ts) instead of a checkout rewritten by a merge.
import { GitCommandError, type GitIdentity, runGit, withMessageFile } from './client.js';

/** `git stripspace` (no comment stripping), in process to spare a git run: what `merge -F` and `commit --cleanup=whitespace` do to a message, and commit-tree does not. */
export function stripspace(message: string): string {
  const lines = message.split('\n').map((l) => l.replace(/\s+$/, ''));
  const kept: string[] = [];
  for (const line of lines) if (line !== '' || (kept.length > 0 && kept.at(-1) !== '')) kept.push(line);
  while (kept.at(-1) === '') kept.pop();
  return kept.length > 0 ? `${kept.join('\n')}\n` : '';
}

/** A commit of `tree` on `parents` with the land message as `git merge -F` / `commit --cleanup=whitespace` would write it. */
export async function writeLandCommit(repoPath: string, tree: string, parents: string[], message: string, author: GitIdentity): Promise<string> {
  const args = ['commit-tree', tree, ...parents.flatMap((p) => ['-p', p])];
  return (await withMessageFile(stripspace(message), (file) => runGit(repoPath, [...args, '-F', file], { identity: author }))).trim();
}

/** The merged tree of two commits, or the paths that conflict (git's exit 1); any other failure throws. */
export async function mergeTrees(repoPath: string, ours: string, theirs: string): Promise<{ tree: string } | { conflicts: string[] }> {
  try {
    const out = await runGit(repoPath, ['merge-tree', '--write-tree', '--name-only', '-z', '--no-messages', ours, theirs]);
    return { tree: out.split('\0')[0]!.trim() };
  } catch (err) {
    // 129: git's usage error, an option it does not know: git older than 2.38.
    if (err instanceof GitCommandError && err.exitStatus === 129) {
      throw new GitCommandError(err.dir, err.args, err.exitStatus, err.stderr, err.stdout, 'Lanes needs git 2.38 or newer on the worker host (merge-tree --write-tree); `lanes doctor` checks the version');
    }
    if (!(err instanceof GitCommandError) || err.exitStatus !== 1) throw err;
    // stdout: the tree, then each conflicted path once, NUL-terminated.
    const conflicts = [...new Set(err.stdout.split('\0').slice(1).filter(Boolean))];
    if (conflicts.length === 0) throw err;
    return { conflicts };
  }
}

export interface CandidateCommitInput {
  repoPath: string;
  mode: 'merge' | 'squash' | 'ff_only';
  targetHead: string;
  laneHead: string;
  /** The land commit's message, trailers included. */
  message: string;
  author: GitIdentity;
}

/**
 * The candidate head prepareCandidate tests: ff_only → the lane head; merge → a two-parent
 * commit (target head, lane head) of the merged tree; squash → a one-parent commit on the
 * target head, or the target head itself when the merge changes nothing. Or the conflicts.
 */
export async function candidateCommit(input: CandidateCommitInput): Promise<{ head: string } | { conflicts: string[] }> {
  const { repoPath, mode, targetHead, laneHead, message, author } = input;
  if (mode === 'ff_only') return { head: laneHead };
  const targetTreeRead = mode === 'squash' ? runGit(repoPath, ['rev-parse', `${targetHead}^{tree}`]) : null;
  targetTreeRead?.catch(() => undefined);
  const merged = await mergeTrees(repoPath, targetHead, laneHead);
  if ('conflicts' in merged) return merged;
  if (mode === 'merge') return { head: await writeLandCommit(repoPath, merged.tree, [targetHead, laneHead], message, author) };
  // The lane's changes may already be in the target by content: then there is nothing to commit.
  if (merged.tree === (await targetTreeRead!).trim()) return { head: targetHead };
  return { head: await writeLandCommit(repoPath, merged.tree, [targetHead], message, author) };
}
