// Running a merge that may conflict: on conflict the merge is aborted (the tree is left
// as it was) and the conflicting paths are returned instead of an error.
import { GitCommandError, gitTest, runGit } from './client.js';

export async function unmergedPaths(dir: string): Promise<string[]> {
  const out = await runGit(dir, ['diff', '--name-only', '--diff-filter=U', '-z']);
  return [...new Set(out.split('\0').filter(Boolean))];
}

/** Runs a merge in `dir`; on conflict aborts it and returns the conflicting paths, otherwise rethrows. */
export async function mergeOrAbort(dir: string, run: () => Promise<unknown>, abort: string[]): Promise<string[] | null> {
  try {
    await run();
    return null;
  } catch (err) {
    if (!(err instanceof GitCommandError)) throw err;
    const conflicts = await unmergedPaths(dir);
    const merging = await gitTest(dir, ['rev-parse', '--quiet', '--verify', 'MERGE_HEAD']);
    if (conflicts.length > 0 || merging) await runGit(dir, abort);
    if (conflicts.length > 0) return conflicts;
    throw err;
  }
}
