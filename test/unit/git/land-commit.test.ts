// A host whose git predates `merge-tree --write-tree` (2.38) cannot build a merge candidate:
// the step must say so, with the fix, instead of a bare usage error. A `git` shim on PATH
// plays the old git for merge-tree only and runs the real one for everything else.
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { GitCommandError } from '../../../src/git/client.js';
import { mergeTrees } from '../../../src/git/land-commit.js';
import { fixtureGit, gitTestbed, initFixtureRepo } from '../../support/git-env.js';

const { tempDir } = gitTestbed('lanes-land-commit-home-');
const realPath = process.env.PATH;
afterEach(() => {
  process.env.PATH = realPath;
});

async function repoWithTwoBranches(): Promise<{ repo: string; main: string; lane: string }> {
  const repo = tempDir('lanes-land-commit-');
  const main = await initFixtureRepo(repo, { 'a.txt': 'a\n' });
  await fixtureGit(repo, 'checkout', '-q', '-b', 'lane');
  writeFileSync(join(repo, 'b.txt'), 'b\n');
  await fixtureGit(repo, 'add', '.');
  await fixtureGit(repo, 'commit', '-q', '-m', 'lane');
  return { repo, main, lane: await fixtureGit(repo, 'rev-parse', 'HEAD') };
}

describe('mergeTrees', () => {
  it('merges in the object store on a git that has merge-tree --write-tree', async () => {
    const { repo, main, lane } = await repoWithTwoBranches();
    const merged = await mergeTrees(repo, main, lane);
    expect(merged).toEqual({ tree: await fixtureGit(repo, 'rev-parse', `${lane}^{tree}`) });
  });

  it('names the git version it needs when git does not know --write-tree', async () => {
    const { repo, main, lane } = await repoWithTwoBranches();
    const realGit = (await execa('sh', ['-c', 'command -v git'])).stdout.trim();
    const shimDir = tempDir('lanes-old-git-');
    const shim = join(shimDir, 'git');
    // Like git 2.37: merge-tree has no --write-tree and exits 129 with its usage.
    writeFileSync(shim, `#!/bin/sh\nfor a in "$@"; do [ "$a" = "--write-tree" ] && { echo "error: unknown option \\\`write-tree'" >&2; exit 129; }; done\nexec ${realGit} "$@"\n`);
    chmodSync(shim, 0o755);
    process.env.PATH = `${shimDir}:${realPath}`;
    const err = await mergeTrees(repo, main, lane).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitCommandError);
    expect((err as GitCommandError).hint).toMatch(/git 2\.38 or newer.*lanes doctor/);
    // Must NOT: read the usage error as a merge conflict (the lane would block on a conflict that is not there).
    expect(err).not.toHaveProperty('conflicts');
    expect((err as GitCommandError).exitStatus).toBe(129);
  });
});
