import { describe, expect, it } from 'vitest';
import { type TaskPacket, TaskPacketSchema } from '../../../src/packet/schema.js';
import {
  candidateCommands,
  decideCandidateReuse,
  decideLanding,
  fixupPrompt,
  levelsToRun,
  reachedLevel,
  worktreeGreen,
} from '../../../src/workflows/policy.js';
import type { GreenLevel, WorktreeLevel } from '../../../src/workflows/state.js';

type AcceptanceInput = Partial<Record<'targeted' | 'package' | 'workspace' | 'mergeReady', string[]>> & { requiredLevel?: GreenLevel };

function packet(acceptance: AcceptanceInput, merge: { mode?: 'merge' | 'squash' | 'ff_only' | 'none'; retestCandidate?: 'when-changed' | 'always' } = {}): TaskPacket {
  return TaskPacketSchema.parse({
    objective: 'add multiply',
    repo: { path: '/repos/calc' },
    acceptance,
    merge,
    agent: { provider: 'scripted', model: 'scripted', script: [] },
  });
}
const acc = (a: AcceptanceInput) => packet(a).acceptance;

describe('workflows/policy', () => {
  it.each<[string, AcceptanceInput, WorktreeLevel[]]>([
    ['only targeted', { targeted: ['t'] }, ['targeted']],
    ['targeted and workspace (package skipped)', { targeted: ['t'], workspace: ['w'] }, ['targeted', 'workspace']],
    ['all three, in weakest-first order', { workspace: ['w'], package: ['p'], targeted: ['t'] }, ['targeted', 'package', 'workspace']],
    ['only mergeReady commands', { mergeReady: ['m'] }, []],
    ['nothing at requiredLevel none', { requiredLevel: 'none' }, []],
  ])('levelsToRun: %s', (_label, a, expected) => {
    expect(levelsToRun(acc(a))).toEqual(expected);
  });

  it.each<[string, AcceptanceInput, string[]]>([
    ['explicit mergeReady commands win', { targeted: ['t'], workspace: ['w'], mergeReady: ['m1', 'm2'] }, ['m1', 'm2']],
    ['without mergeReady, the broadest declared level re-runs', { targeted: ['t'], package: ['p'] }, ['p']],
    ['without mergeReady, workspace beats package and targeted', { targeted: ['t'], package: ['p'], workspace: ['w'] }, ['w']],
    ['no commands at all: nothing to run', { requiredLevel: 'none' }, []],
  ])('candidateCommands: %s', (_label, a, expected) => {
    expect(candidateCommands(acc(a)).map((c) => c.run)).toEqual(expected);
  });

  it.each<[string, { level: WorktreeLevel; passed: boolean }[], GreenLevel]>([
    ['no results', [], 'none'],
    ['targeted red', [{ level: 'targeted', passed: false }], 'none'],
    ['targeted green', [{ level: 'targeted', passed: true }], 'targeted'],
    ['targeted green, package red', [{ level: 'targeted', passed: true }, { level: 'package', passed: false }], 'targeted'],
    [
      'all green',
      [
        { level: 'targeted', passed: true },
        { level: 'package', passed: true },
        { level: 'workspace', passed: true },
      ],
      'workspace',
    ],
    ['an undeclared level is skipped, not failed', [{ level: 'targeted', passed: true }, { level: 'workspace', passed: true }], 'workspace'],
    ['a red weaker level caps a green stronger one', [{ level: 'targeted', passed: false }, { level: 'workspace', passed: true }], 'none'],
    ['results out of order are read in level order', [{ level: 'package', passed: true }, { level: 'targeted', passed: true }], 'package'],
  ])('reachedLevel: %s', (_label, results, expected) => {
    expect(reachedLevel(results)).toBe(expected);
  });

  it.each<[AcceptanceInput, GreenLevel, boolean]>([
    [{ targeted: ['t'] }, 'none', false],
    [{ targeted: ['t'] }, 'targeted', true],
    [{ targeted: ['t'], workspace: ['w'] }, 'targeted', false],
    [{ targeted: ['t'], workspace: ['w'] }, 'workspace', true],
    [{ targeted: ['t'], package: ['p'] }, 'merge_ready', true],
    [{ mergeReady: ['m'] }, 'none', true],
    [{ requiredLevel: 'none' }, 'none', true],
  ])('worktreeGreen(%j, reached %s) is %s', (a, reached, expected) => {
    expect(worktreeGreen(acc(a), reached)).toBe(expected);
  });

  it.each<[string, TaskPacket, GreenLevel, boolean, RegExp | null]>([
    ['merge.mode none stops at the green level', packet({ targeted: ['t'] }, { mode: 'none' }), 'targeted', false, /merge\.mode is none/],
    ['red worktree levels never land', packet({ targeted: ['t'], workspace: ['w'] }), 'targeted', false, /green only at targeted/],
    ['nothing green never lands', packet({ targeted: ['t'] }), 'none', false, /green only at none/],
    ['required workspace with only targeted declared never lands', packet({ targeted: ['t'], requiredLevel: 'workspace' }), 'targeted', false, /requires workspace, reached targeted/],
    ['required package reached package lands', packet({ targeted: ['t'], package: ['p'], requiredLevel: 'package' }), 'package', true, null],
    ['required targeted reached workspace lands', packet({ targeted: ['t'], workspace: ['w'], requiredLevel: 'targeted' }), 'workspace', true, null],
    ['merge_ready is left to the candidate check', packet({ targeted: ['t'], workspace: ['w'] }), 'workspace', true, null],
    ['squash merges land like merges', packet({ targeted: ['t'] }, { mode: 'squash' }), 'targeted', true, null],
  ])('decideLanding: %s', (_label, p, reached, land, reason) => {
    const d = decideLanding(p, reached);
    expect(d.land).toBe(land);
    if (!d.land) expect(d.reason).toMatch(reason!);
  });

  it('fixupPrompt names the level, each failing command, its exit code (or timeout) and output tail', () => {
    const text = fixupPrompt('package', [
      { name: 'npm test', exitCode: 1, tail: 'not ok 1 - multiply' },
      { name: 'slow suite', exitCode: null, tail: '...' },
    ]);
    expect(text).toContain('The package acceptance tests failed');
    expect(text).toContain('`npm test` exited with 1');
    expect(text).toContain('not ok 1 - multiply');
    expect(text).toContain('`slow suite` exited with a timeout');
    expect(text).toMatch(/do not change the tests/);
    expect(text).not.toContain('undefined');
  });
});

describe('decideCandidateReuse', () => {
  const p = packet({ targeted: ['t'], package: ['node --test'] });
  const sandbox = { permissionMode: 'workspace_write', sandbox: p.sandbox, secrets: [] };
  const candidate = { commands: candidateCommands(p.acceptance), timeoutMs: p.acceptance.timeoutMs, sandbox };
  const tested = { level: 'package' as const, attemptKey: 'pass-1-run-1', commands: p.acceptance.package, timeoutMs: p.acceptance.timeoutMs, sandbox, head: 'c'.repeat(40) };
  const host = { targetInLane: true, laneTree: 't'.repeat(40), testedTree: 't'.repeat(40) };

  it('reuses a clean green run of the top level with the same commands, sandbox and timeout, target unmoved, same tree', () => {
    expect(decideCandidateReuse(p, tested, candidate)).toEqual({ reuse: true, level: 'package', attemptKey: 'pass-1-run-1', head: tested.head });
    expect(decideCandidateReuse(p, tested, candidate, host)).toMatchObject({ reuse: true });
  });

  it.each<[string, Parameters<typeof decideCandidateReuse>, RegExp]>([
    ['policy always', [packet({ package: ['node --test'] }, { retestCandidate: 'always' }), tested, candidate, host], /retestCandidate is "always"/],
    ['no green run recorded', [p, null, candidate, host], /no green worktree run/],
    ['a run of a lower level', [p, { ...tested, level: 'targeted', commands: p.acceptance.targeted }, candidate, host], /no green worktree run of the top level/],
    ['not started on a clean checkout', [p, { ...tested, head: null, why: 'ignored files' }, candidate, host], /ignored files/],
    ['different mergeReady commands', [p, tested, { ...candidate, commands: [{ name: 'other', run: 'npm test' }] }, host], /mergeReady/],
    ['a different timeout', [p, tested, { ...candidate, timeoutMs: 1 }, host], /sandbox or timeout/],
    ['a different sandbox', [p, tested, { ...candidate, sandbox: { ...sandbox, permissionMode: 'danger_full_access' } }, host], /sandbox or timeout/],
    ['the target moved', [p, tested, candidate, { ...host, targetInLane: false }], /target has commits/],
    ['another tree', [p, tested, candidate, { ...host, laneTree: 'u'.repeat(40) }], /tree is not the one/],
    ['a tested commit that is gone', [p, tested, candidate, { ...host, testedTree: null }], /tree is not the one/],
  ])('must not reuse: %s', (_label, args, why) => {
    const d = decideCandidateReuse(...args);
    expect(d.reuse).toBe(false);
    expect(d.reuse === false && d.reason).toMatch(why);
  });

  it('mergeReady identical to the top level counts as the same commands', () => {
    const q = packet({ package: ['node --test'], mergeReady: ['node --test'] });
    expect(decideCandidateReuse(q, { ...tested, commands: q.acceptance.package }, { ...candidate, commands: candidateCommands(q.acceptance) }, host).reuse).toBe(true);
  });
});
