// In-process git-activity tests: git gets an empty HOME and no system config or inherited
// identity, so only the fixture's config counts; the fixture's own git (the "human" working
// in the repo) commits as Fixture; every temp folder goes when the file's tests end.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll } from 'vitest';

export const FIXTURE_ENV = {
  GIT_AUTHOR_NAME: 'Fixture',
  GIT_AUTHOR_EMAIL: 'fixture@example.com',
  GIT_COMMITTER_NAME: 'Fixture',
  GIT_COMMITTER_EMAIL: 'fixture@example.com',
};

/** Fixture-side git in `dir`, with its own identity; trimmed stdout. */
export async function fixtureGit(dir: string, ...args: string[]): Promise<string> {
  const { stdout } = await execa('git', args, { cwd: dir, env: FIXTURE_ENV });
  return stdout.trim();
}

/** A new repo on `main` with `files` in one "initial" commit; returns that commit. */
export async function initFixtureRepo(dir: string, files: Record<string, string>): Promise<string> {
  await fixtureGit(dir, 'init', '-q', '-b', 'main');
  for (const [file, content] of Object.entries(files)) writeFileSync(join(dir, file), content);
  await fixtureGit(dir, 'add', '.');
  await fixtureGit(dir, 'commit', '-q', '-m', 'initial');
  return fixtureGit(dir, 'rev-parse', 'HEAD');
}

/**
 * Registers this test file's hooks: git's config isolated (an empty HOME named `homePrefix…`)
 * before its tests, the environment restored and every `tempDir` removed after them.
 */
export function gitTestbed(homePrefix: string): { tempDir: (prefix: string) => string } {
  const scratch: string[] = [];
  const tempDir = (prefix: string) => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    scratch.push(dir);
    return dir;
  };
  let saved: NodeJS.ProcessEnv;
  beforeAll(() => {
    saved = { ...process.env };
    const emptyHome = tempDir(homePrefix);
    process.env.HOME = emptyHome;
    process.env.XDG_CONFIG_HOME = emptyHome;
    process.env.GIT_CONFIG_NOSYSTEM = '1';
    for (const key of Object.keys(process.env)) if (/^GIT_(AUTHOR|COMMITTER)_/.test(key)) delete process.env[key];
  });
  afterAll(() => {
    process.env = saved;
    for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
  });
  return { tempDir };
}
