// 5. lane setup on a big repository: a generated repo with ~50k files; the lane's
// worktree creation (prepareWorktree, what the lane runs) against `git worktree add`
// and `git clone`, each checked to hold every file.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { prepareWorktree } from '../git/lane-worktree.js';
import { GIT_IDENTITY_ENV } from '../demo/fixture-repo.js';
import type { BenchStack } from './stack.js';
import { timed } from './stats.js';

export interface BigRepo {
  files: number;
  generateMs: number;
  laneWorktreeMs: number;
  gitWorktreeAddMs: number;
  gitCloneMs: number;
}

const git = (cwd: string, ...args: string[]) => execa('git', args, { cwd, env: { ...process.env, ...GIT_IDENTITY_ENV } });

async function countFiles(dir: string): Promise<number> {
  return Number((await execa('sh', ['-c', 'find . -path ./.git -prune -o -type f -print | wc -l'], { cwd: dir })).stdout.trim());
}

export async function bigRepo(stack: BenchStack, files: number, problems: string[]): Promise<BigRepo> {
  const repo = join(stack.reposDir, 'big');
  const gen = await timed(async () => {
    mkdirSync(repo, { recursive: true });
    await git(repo, 'init', '-q', '-b', 'main');
    const perDir = 100;
    for (let i = 0; i < files; i++) {
      const dir = join(repo, 'src', `m${Math.floor(i / perDir)}`);
      if (i % perDir === 0) mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `f${i}.js`), `export const v${i} = ${i};\n`);
    }
    await git(repo, 'add', '-A');
    await git(repo, 'commit', '-q', '-m', 'generated');
  });
  // An untimed checkout first, so none of the measured ones pays for a cold page cache.
  await git(repo, 'worktree', 'add', '-q', '--detach', join(stack.root, 'big.warmup'), 'main');
  await git(repo, 'worktree', 'remove', '--force', join(stack.root, 'big.warmup'));
  const lane = await timed(() => prepareWorktree(stack.home, { laneId: 'big', repoPath: repo, baseBranch: 'main', branch: 'lanes/big' }));
  const add = await timed(() => git(repo, 'worktree', 'add', '-q', '-b', 'plain', join(stack.root, 'big.worktree'), 'main'));
  const clone = await timed(() => execa('git', ['clone', '-q', repo, join(stack.root, 'big.clone')]));
  for (const [what, dir] of [
    ['lane worktree', lane.value.worktreePath],
    ['git worktree add', join(stack.root, 'big.worktree')],
    ['git clone', join(stack.root, 'big.clone')],
  ] as const) {
    const n = await countFiles(dir);
    if (n !== files) problems.push(`big repo: ${what} holds ${n} files, expected ${files}`);
  }
  return { files, generateMs: Math.round(gen.ms), laneWorktreeMs: Math.round(lane.ms), gitWorktreeAddMs: Math.round(add.ms), gitCloneMs: Math.round(clone.ms) };
}
