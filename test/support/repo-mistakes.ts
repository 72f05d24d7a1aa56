// The ordinary repository mistakes of issue 10, each with what the user must be told:
// shared by the submit-side preflight test and the host-side (worker) test.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { GIT_IDENTITY_ENV } from '../../src/demo/fixture-repo.js';
import { mockPacket, type LaneStack } from './lane-stack.js';

export interface RepoMistake {
  label: string;
  /** Makes the repository (or non-repository) and returns the repo.path to use. */
  make(stack: LaneStack, prefix: string): Promise<string>;
  /** Packet fields beside repo.path. */
  extra: Record<string, unknown>;
  message: RegExp;
  hint: RegExp;
}

export const REPO_MISTAKES: RepoMistake[] = [
  { label: 'a missing repo.path', make: async (s, p) => join(s.reposDir, `${p}-gone`), extra: {}, message: /repo\.path: repo\.path .*-gone does not exist/, hint: /set repo\.path to a local git checkout/ },
  {
    label: 'a regular file',
    make: async (s, p) => {
      const f = join(s.reposDir, `${p}-file.txt`);
      writeFileSync(f, 'not a repo\n');
      return f;
    },
    extra: {},
    message: /is a file, not a folder/,
    hint: /not a file in it/,
  },
  {
    label: 'a folder that is not a git repository',
    make: async (s, p) => {
      const d = join(s.reposDir, `${p}-plain`);
      mkdirSync(d, { recursive: true });
      return d;
    },
    extra: {},
    message: /is not a git work tree/,
    hint: /git init/,
  },
  {
    label: 'an empty repository',
    make: async (s, p) => {
      const d = join(s.reposDir, `${p}-empty`);
      mkdirSync(d, { recursive: true });
      await execa('git', ['init', '-q', '-b', 'main'], { cwd: d, env: GIT_IDENTITY_ENV });
      return d;
    },
    extra: {},
    message: /has no commits yet/,
    hint: /make a first commit there/,
  },
  {
    label: 'a missing baseBranch',
    make: async (s, p) => (await s.fixture(`${p}-nobase`)).path,
    extra: { repo: { baseBranch: 'develop' } },
    message: /repo\.baseBranch: base branch "develop" does not exist/,
    hint: /set repo\.baseBranch to an existing branch/,
  },
  {
    label: 'a branch already checked out elsewhere',
    make: async (s, p) => {
      const repo = await s.fixture(`${p}-busy`);
      await repo.git('worktree', 'add', '-q', '-b', 'taken', join(s.reposDir, `${p}-busy-wt`));
      return repo.path;
    },
    extra: { branch: { name: 'taken' } },
    message: /branch taken already exists and is not this lane's/,
    hint: /set branch\.name/,
  },
];

/** The packet for `mistake` at `path`, as lane `laneId`. */
export function mistakePacket(mistake: RepoMistake, laneId: string, path: string, scenario: string): Record<string, unknown> {
  const base = mockPacket(laneId, path, scenario);
  const repo = (mistake.extra as { repo?: object }).repo ?? {};
  return { ...base, ...mistake.extra, repo: { ...(base.repo as object), ...repo, path } };
}

export const laneIdOf = (prefix: string, label: string) => `${prefix}-${label.replace(/[^a-z]+/g, '-').replace(/^-|-$/g, '')}`;
