// Which directories count as a lane's worktree for the tool and test activities. They
// refuse to act anywhere else, so a stale or foreign path in workflow state cannot touch
// another tree. Naming and the canonical-path rule come from src/git/worktrees.ts.
import { statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { assertLaneId, canonicalPath, candidateWorktreePath, laneWorktreePath } from '../git/worktrees.js';
import { laneFailure } from '../failures.js';

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The canonical path of `worktreePath` when it is `${home}/worktrees/<laneId>` (or, with
 * `allowCandidate`, `<laneId>.candidate`) and exists as a directory; otherwise throws
 * laneFailure('workspace_mismatch'). The worktrees folder is resolved, the last component
 * is not: a lane worktree that is itself a symlink to another tree is refused.
 */
export function assertLaneWorktree(home: string, laneId: string, worktreePath: string, opts: { allowCandidate?: boolean } = {}): string {
  assertLaneId(laneId);
  const dir = canonicalPath(join(resolve(home), 'worktrees'));
  const names = [basename(laneWorktreePath(home, laneId)), ...(opts.allowCandidate ? [basename(candidateWorktreePath(home, laneId))] : [])];
  const allowed = names.map((n) => join(dir, n));
  const actual = canonicalPath(worktreePath);
  if (!allowed.includes(actual) || !isDirectory(actual)) {
    throw laneFailure('workspace_mismatch', `lane ${laneId} may only act in ${allowed.join(' or ')}, not ${worktreePath}${isDirectory(actual) ? '' : ' (missing)'}`, {
      reason: 'outside_lane',
      expected: allowed,
      actual,
      hint: 'Pass the worktree path recorded in the lane state; if it is missing, recreate it from the lane branch.',
    });
  }
  return actual;
}
