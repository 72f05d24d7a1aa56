// Real git repositories for demos, tests and drills: a tiny Node project whose
// test fails until a missing function is written.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';

export interface FixtureRepo {
  path: string;
  baseBranch: string;
  /** Runs git in the repo with a fixed identity (machines may have none). */
  git(...args: string[]): Promise<string>;
  /** Writes files and commits them on the checked-out branch; returns the new head. */
  commitFiles(files: Record<string, string>, message: string): Promise<string>;
  head(branch?: string): Promise<string>;
}

export const GIT_IDENTITY_ENV = {
  GIT_AUTHOR_NAME: 'Lanes Fixture',
  GIT_AUTHOR_EMAIL: 'fixture@lanes.local',
  GIT_COMMITTER_NAME: 'Lanes Fixture',
  GIT_COMMITTER_EMAIL: 'fixture@lanes.local',
};

/** The calculator project: `multiply` is missing, so `node --test` is red. */
export const CALCULATOR_FILES: Record<string, string> = {
  'package.json': JSON.stringify({ name: 'calculator', version: '1.0.0', type: 'module', private: true, scripts: { test: 'node --test test/' } }, null, 2) + '\n',
  'README.md': '# calculator\n\nA tiny library the Lanes demo works on.\n',
  'src/math.js': 'export function add(a, b) {\n  return a + b;\n}\n',
  'test/math.test.js':
    "import { test } from 'node:test';\nimport assert from 'node:assert/strict';\nimport * as math from '../src/math.js';\n\n" +
    "test('add adds', () => assert.equal(math.add(2, 3), 5));\n" +
    "test('multiply multiplies', () => assert.equal(math.multiply?.(4, 5), 20));\n",
};

/** The change an agent makes to turn the calculator green. */
export const CALCULATOR_FIX = 'export function add(a, b) {\n  return a + b;\n}\n\nexport function multiply(a, b) {\n  return a * b;\n}\n';

export async function createFixtureRepo(dir: string, files: Record<string, string> = CALCULATOR_FILES, baseBranch = 'main'): Promise<FixtureRepo> {
  mkdirSync(dir, { recursive: true });
  const git = async (...args: string[]) => (await execa('git', args, { cwd: dir, env: GIT_IDENTITY_ENV })).stdout;
  const writeAll = (f: Record<string, string>) => {
    for (const [rel, content] of Object.entries(f)) {
      mkdirSync(join(dir, rel, '..'), { recursive: true });
      writeFileSync(join(dir, rel), content);
    }
  };
  await git('init', '-q', '-b', baseBranch);
  writeAll(files);
  await git('add', '-A');
  await git('commit', '-q', '-m', 'Initial commit');
  return {
    path: dir,
    baseBranch,
    git,
    async commitFiles(f, message) {
      writeAll(f);
      await git('add', '-A');
      await git('commit', '-q', '-m', message);
      return git('rev-parse', 'HEAD');
    },
    head: (branch = baseBranch) => git('rev-parse', branch),
  };
}
