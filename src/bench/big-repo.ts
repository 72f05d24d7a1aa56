// 5. lane setup on a big repository: a generated repo with ~50k files; the lane's
// worktree creation (prepareWorktree, what the lane runs) against `git worktree add`
// and `git clone`, each checked to hold every file.
//
// Fair by construction: a freshly written 50k-file repo makes whichever checkout runs
// first pay for the page cache and the write-back of the generator's files (a plain
// `git worktree add` once took 23.7 s first and 1.5 s after). So: `sync` after
// generating, one untimed checkout, then rounds in which the three ways run in a
// rotating order, each after a `sync` (the previous one's write-back is not billed to
// it); the figures are medians over the rounds.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { prepareWorktree } from '../git/lane-worktree.js';
import { GIT_IDENTITY_ENV } from '../demo/fixture-repo.js';
import type { BenchStack } from './stack.js';
import { summarize, timed, type Summary } from './stats.js';

export interface BigRepo {
  files: number;
  rounds: number;
  generateMs: number;
  /** Medians over the rounds. */
  laneWorktreeMs: number;
  gitWorktreeAddMs: number;
  gitCloneMs: number;
  /** Every sample, in the order each way ran. */
  samples: Record<Way, Summary & { ms: number[] }>;
}

const WAYS = ['laneWorktree', 'gitWorktreeAdd', 'gitClone'] as const;
type Way = (typeof WAYS)[number];

const git = (cwd: string, ...args: string[]) => execa('git', args, { cwd, env: { ...process.env, ...GIT_IDENTITY_ENV } });
const sync = () => execa('sync');

async function countFiles(dir: string): Promise<number> {
  return Number((await execa('sh', ['-c', 'find . -path ./.git -prune -o -type f -print | wc -l'], { cwd: dir })).stdout.trim());
}

async function generate(repo: string, files: number): Promise<void> {
  await mkdir(repo, { recursive: true });
  await git(repo, 'init', '-q', '-b', 'main');
  const perDir = 100;
  for (let d = 0; d * perDir < files; d++) {
    const dir = join(repo, 'src', `m${d}`);
    await mkdir(dir, { recursive: true });
    const batch: Promise<void>[] = [];
    for (let i = d * perDir; i < Math.min(files, (d + 1) * perDir); i++) batch.push(writeFile(join(dir, `f${i}.js`), `export const v${i} = ${i};\n`));
    await Promise.all(batch);
  }
  await git(repo, 'add', '-A');
  await git(repo, 'commit', '-q', '-m', 'generated');
}

export async function bigRepo(stack: BenchStack, files: number, rounds: number, problems: string[]): Promise<BigRepo> {
  const repo = join(stack.reposDir, 'big');
  const gen = await timed(() => generate(repo, files));
  await sync();
  // One untimed checkout, so none of the measured ones pays for a cold page cache.
  const warm = join(stack.root, 'big.warmup');
  await git(repo, 'worktree', 'add', '-q', '--detach', warm, 'main');
  await git(repo, 'worktree', 'remove', '--force', warm);

  const ms: Record<Way, number[]> = { laneWorktree: [], gitWorktreeAdd: [], gitClone: [] };
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < WAYS.length; k++) {
      const way = WAYS[(r + k) % WAYS.length]!;
      await sync();
      const { ms: took, dir, cleanup } = await checkout(stack, repo, way, r);
      ms[way].push(took);
      const n = await countFiles(dir);
      if (n !== files) problems.push(`big repo: ${way} (round ${r + 1}) holds ${n} files, expected ${files}`);
      await cleanup();
    }
  }
  const samples = Object.fromEntries(WAYS.map((w) => [w, { ...summarize(ms[w]), ms: ms[w].map(Math.round) }])) as BigRepo['samples'];
  return {
    files,
    rounds,
    generateMs: Math.round(gen.ms),
    laneWorktreeMs: samples.laneWorktree.medianMs,
    gitWorktreeAddMs: samples.gitWorktreeAdd.medianMs,
    gitCloneMs: samples.gitClone.medianMs,
    samples,
  };
}

/** One timed checkout of the repo in `way`; cleanup (untimed) removes it again. */
async function checkout(stack: BenchStack, repo: string, way: Way, round: number): Promise<{ ms: number; dir: string; cleanup: () => Promise<unknown> }> {
  switch (way) {
    case 'laneWorktree': {
      const t = await timed(() => prepareWorktree(stack.home, { laneId: `big-${round}`, repoPath: repo, baseBranch: 'main', branch: `lanes/big-${round}` }));
      const dir = t.value.worktreePath;
      return { ms: t.ms, dir, cleanup: () => git(repo, 'worktree', 'remove', '--force', dir) };
    }
    case 'gitWorktreeAdd': {
      const dir = join(stack.root, `big.worktree-${round}`);
      const t = await timed(() => git(repo, 'worktree', 'add', '-q', '-b', `plain-${round}`, dir, 'main'));
      return { ms: t.ms, dir, cleanup: () => git(repo, 'worktree', 'remove', '--force', dir) };
    }
    case 'gitClone': {
      const dir = join(stack.root, `big.clone-${round}`);
      const t = await timed(() => execa('git', ['clone', '-q', repo, dir]));
      return { ms: t.ms, dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
    }
  }
}
