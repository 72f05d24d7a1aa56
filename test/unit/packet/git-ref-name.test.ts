import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { gitRefNameProblem, isValidGitRefName } from '../../../src/packet/git-ref-name.js';

const valid = ['main', 'lanes/fix-login-42', 'release/2.x', 'feature/a.b', 'UPPER_case-1', 'a@b'];
const invalid = ['', '@', '-flag', '/lead', 'trail/', 'a//b', 'a..b', 'a@{1}', 'end.', 'has space', 'tab\there', 'a~1', 'a^', 'a:b', 'a?', 'a*', 'a[b', 'back\\slash', '.hidden', 'x/.hidden', 'x.lock', 'x.lock/y', 'del\x7f'];

// git itself is the oracle: our offline check must agree with `git check-ref-format --branch`.
function gitAccepts(name: string): boolean {
  try {
    execFileSync('git', ['check-ref-format', '--branch', name], { stdio: 'ignore', cwd: tmpdir() });
    return true;
  } catch {
    return false;
  }
}

describe('packet/git-ref-name', () => {
  it.each(valid)('accepts %j like git does', (name) => {
    expect(gitRefNameProblem(name)).toBeUndefined();
    expect(isValidGitRefName(name)).toBe(true);
    expect(gitAccepts(name)).toBe(true);
  });

  it.each(invalid)('refuses %j like git does, saying why', (name) => {
    expect(isValidGitRefName(name)).toBe(false);
    expect(gitRefNameProblem(name)).toMatch(/\S/);
    // check-ref-format reads "@" as HEAD (and "" as a usage error), but `git branch @` refuses it.
    if (name !== '' && name !== '@') expect(gitAccepts(name)).toBe(false);
  });
});
