// runGit reads a git command's whole output: done is when stdout and stderr close,
// not when the process exits. On a loaded host the two drift apart, and a cut-off
// `rev-parse` once read as "base branch does not exist" (the throughput bench's
// failed lanes). A real git whose child keeps stdout open past git's exit makes the
// drift certain instead of load-dependent.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGit } from '../../../src/git/client.js';

let repo: string;
beforeAll(async () => {
  repo = mkdtempSync(join(tmpdir(), 'lanes-git-client-'));
  await execa('git', ['init', '-q', repo]);
  // The alias's shell prints "early", leaves a background writer holding stdout, and exits;
  // git exits with it. The writer prints "late" 400 ms later and only then closes stdout.
  await execa('git', ['config', 'alias.late', '!sh -c "(sleep 0.4; echo late) & echo early"'], { cwd: repo });
});
afterAll(() => rmSync(repo, { recursive: true, force: true }));

describe('runGit output', () => {
  it('keeps output written after git exited but before its stdout closed', async () => {
    const started = Date.now();
    const out = await runGit(repo, ['late']);
    expect(out.split('\n').filter(Boolean)).toEqual(['early', 'late']);
    // Must NOT: return at git's exit with the tail of the output missing.
    expect(out).not.toBe('early\n');
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
  });

  it('still reports a failing command by its exit status', async () => {
    await expect(runGit(repo, ['rev-parse', '--verify', '--quiet', 'no-such-branch^{commit}'])).rejects.toMatchObject({ exitStatus: 1 });
  });
});
