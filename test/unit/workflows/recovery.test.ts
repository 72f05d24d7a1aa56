import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FAILURE_CLASSES, type FailureClass, isFailureClass, isRetryable } from '../../../src/failures.js';
import { recommendationFor } from '../../../src/workflows/summary.js';
import {
  attemptLimit,
  BACKOFF_BASE_MS,
  BACKOFF_MAX_MS,
  backoffDelayMs,
  decideRecovery,
  decisionTable,
  DEFAULT_SETTINGS,
  LANDING_REBUILDS,
  LANE_STEPS,
  RECIPE_IDS,
  type RecipeId,
  type RecoverySettings,
  RECOVERY_RECIPES,
  recoveryFor,
  settingRows,
} from '../../../src/workflows/recovery.js';

const POLICY_MD = readFileSync(new URL('../../../docs/policy.md', import.meta.url), 'utf8');

/** The rows of the markdown table whose header row starts with `first`. */
function docTable(first: string): string[][] {
  const lines = POLICY_MD.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`| ${first} |`));
  expect(start, `docs/policy.md has a table starting with "| ${first} |"`).toBeGreaterThanOrEqual(0);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(line.split('|').slice(1, -1).map((c) => c.trim().replace(/`/g, '')));
  }
  return rows;
}

/** The contract, written out per class (a new class must be decided here too). */
const EXPECTED: Record<FailureClass, { id: RecipeId; escalateTo: 'blocked' | 'failed' }> = {
  test: { id: 'fixup_turn', escalateTo: 'blocked' },
  compile: { id: 'fixup_turn', escalateTo: 'blocked' },
  branch_divergence: { id: 'merge_forward', escalateTo: 'blocked' },
  context_window: { id: 'compact_transcript', escalateTo: 'blocked' },
  mcp_startup: { id: 'restart_mcp', escalateTo: 'blocked' },
  mcp_handshake: { id: 'restart_mcp', escalateTo: 'blocked' },
  plugin_startup: { id: 'restart_mcp', escalateTo: 'blocked' },
  provider_rate_limit: { id: 'backoff_retry', escalateTo: 'blocked' },
  provider_internal: { id: 'backoff_retry', escalateTo: 'blocked' },
  prompt_delivery: { id: 'backoff_retry', escalateTo: 'blocked' },
  infra: { id: 'backoff_retry', escalateTo: 'blocked' },
  tool_runtime: { id: 'retry_tool', escalateTo: 'blocked' },
  workspace_mismatch: { id: 'recreate_worktree', escalateTo: 'blocked' },
  merge_conflict: { id: 'none', escalateTo: 'blocked' },
  provider_auth: { id: 'none', escalateTo: 'blocked' },
  budget: { id: 'none', escalateTo: 'blocked' },
  review: { id: 'none', escalateTo: 'blocked' },
  trust_gate: { id: 'none', escalateTo: 'blocked' },
  mcp_config: { id: 'none', escalateTo: 'failed' },
  validator: { id: 'none', escalateTo: 'failed' },
  manifest: { id: 'none', escalateTo: 'failed' },
  cancelled: { id: 'none', escalateTo: 'failed' },
};

const recoverable = FAILURE_CLASSES.filter((c) => EXPECTED[c].id !== 'none');
const immediate = FAILURE_CLASSES.filter((c) => EXPECTED[c].id === 'none');

describe('workflows/recovery', () => {
  it.each(FAILURE_CLASSES.map((cls) => [cls, EXPECTED[cls].id, EXPECTED[cls].escalateTo] as const))(
    '%s recovers with %s and escalates to %s',
    (cls, id, escalateTo) => {
      const recipe = recoveryFor(cls);
      expect(recipe).toMatchObject({ id, escalateTo, maxAttempts: id === 'none' ? 0 : 1, approvable: cls === 'review' });
      expect(recipe.description.length).toBeGreaterThan(10);
      expect(RECOVERY_RECIPES[cls]).toEqual(recipe);
    },
  );

  it('has a recipe for every class and only known recipe ids, and the table cannot be changed at run time', () => {
    expect(Object.keys(RECOVERY_RECIPES).sort()).toEqual([...FAILURE_CLASSES].sort());
    for (const r of Object.values(RECOVERY_RECIPES)) expect(RECIPE_IDS).toContain(r.id);
    expect(Object.isFrozen(RECOVERY_RECIPES)).toBe(true);
    expect(() => {
      (RECOVERY_RECIPES as Record<string, unknown>).test = null;
    }).toThrow(TypeError);
  });

  const settings = (over: Partial<RecoverySettings> = {}): RecoverySettings => ({ ...DEFAULT_SETTINGS, ...over });
  /** The step where each recoverable class's recipe runs. */
  const runsAt: Record<Exclude<RecipeId, 'none'>, (typeof LANE_STEPS)[number]> = {
    fixup_turn: 'tests',
    merge_forward: 'candidate',
    compact_transcript: 'model_turn',
    restart_mcp: 'mcp',
    backoff_retry: 'model_turn',
    retry_tool: 'tool_call',
    recreate_worktree: 'tests',
  };
  const stepOf = (cls: FailureClass) => runsAt[EXPECTED[cls].id as Exclude<RecipeId, 'none'>];

  it.each(recoverable.filter((c) => c !== 'branch_divergence'))('%s recovers once with the default packet where its recipe runs, then escalates', (cls) => {
    const first = decideRecovery({ step: stepOf(cls), cls, attemptsUsed: 0, settings: settings() });
    expect(first).toMatchObject({ attempt: 1 });
    expect(['rerun', 'fixup_turn', 'merge_forward', 'recreate_worktree', 'compact']).toContain(first.do);
    expect('recipe' in first && first.recipe).toBe(EXPECTED[cls].id);
    const second = decideRecovery({ step: stepOf(cls), cls, attemptsUsed: 1, settings: settings() });
    expect(second.do).toBe('block');
  });

  it.each(recoverable.filter((c) => c !== 'branch_divergence'))('%s escalates at once when the packet allows 0 recovery attempts', (cls) => {
    const step = decideRecovery({ step: stepOf(cls), cls, attemptsUsed: 0, settings: settings({ recoveryAttempts: 0 }) });
    expect(step).toMatchObject({ do: 'block' });
    expect(step.do === 'block' && step.reason).toMatch(/recoveryAttempts is 0/);
  });

  it.each(immediate)('%s never recovers automatically at any step, whatever the packet allows', (cls) => {
    for (const step of LANE_STEPS) {
      for (const recoveryAttempts of [0, 1, 5]) {
        const d = decideRecovery({ step, cls, attemptsUsed: 0, settings: settings({ recoveryAttempts }) });
        expect(['block', 'fail', 'warn'], `${cls} at ${step}`).toContain(d.do);
        if (EXPECTED[cls].escalateTo === 'failed') expect(d.do).toBe('fail');
      }
    }
    expect(attemptLimit(cls, 5)).toBe(0);
  });

  it.each([
    [0, 0],
    [1, 1],
    [3, 3],
    [5, 5],
  ])('red tests get recoveryAttempts=%i fix-up turns (limit %i), then block', (recoveryAttempts, limit) => {
    expect(attemptLimit('test', recoveryAttempts)).toBe(limit);
    const steps = Array.from({ length: limit + 1 }, (_, used) => decideRecovery({ step: 'tests', cls: 'test', attemptsUsed: used, settings: settings({ recoveryAttempts }) }).do);
    expect(steps).toEqual([...Array<string>(limit).fill('fixup_turn'), 'block']);
  });

  it('tests that fail twice: a fix-up turn, then a block (never a failure, never a third agent pass)', () => {
    expect(decideRecovery({ step: 'tests', cls: 'test', attemptsUsed: 0, settings: settings() }).do).toBe('fixup_turn');
    expect(decideRecovery({ step: 'tests', cls: 'test', attemptsUsed: 1, settings: settings() })).toMatchObject({ do: 'block', approvable: false });
  });

  it('red on the merge candidate or below the required level fails the lane; red in the worktree never does', () => {
    for (const attemptsUsed of [0, 1, 3]) {
      expect(decideRecovery({ step: 'candidate', cls: 'test', attemptsUsed, settings: settings({ recoveryAttempts: 5 }) }).do).toBe('fail');
      expect(decideRecovery({ step: 'landing', cls: 'test', attemptsUsed, settings: settings({ recoveryAttempts: 5 }) }).do).toBe('fail');
      expect(decideRecovery({ step: 'tests', cls: 'test', attemptsUsed, settings: settings({ recoveryAttempts: 5 }) }).do).not.toBe('fail');
    }
  });

  it(`a target that moves during landing is merged forward ${LANDING_REBUILDS} times per --retry, whatever recoveryAttempts says, then blocks`, () => {
    for (const recoveryAttempts of [0, 1, 5]) {
      const seq = Array.from({ length: LANDING_REBUILDS + 1 }, (_, used) => decideRecovery({ step: 'candidate', cls: 'branch_divergence', attemptsUsed: used, settings: settings({ recoveryAttempts }) }).do);
      expect(seq).toEqual([...Array<string>(LANDING_REBUILDS).fill('merge_forward'), 'block']);
    }
    expect(POLICY_MD).toContain(`\`LANDING_REBUILDS\` (${LANDING_REBUILDS})`);
  });

  it('a stale lane branch follows branch.staleness: merge forward, go on (ignore) or fail; recoveryAttempts does not matter', () => {
    for (const recoveryAttempts of [0, 1]) {
      const at = (staleness: RecoverySettings['staleness']) => decideRecovery({ step: 'freshen', cls: 'branch_divergence', attemptsUsed: 0, settings: settings({ staleness, recoveryAttempts }) }).do;
      expect([at('merge_forward'), at('rebase'), at('ignore'), at('fail')]).toEqual(['merge_forward', 'merge_forward', 'warn', 'fail']);
    }
  });

  it('workspace_mismatch recreates the lane worktree where the lane acts in it, never at prepare or in the target checkout', () => {
    for (const step of ['mcp', 'model_turn', 'tool_call', 'agent_pass', 'tests', 'freshen', 'landing'] as const) {
      expect(decideRecovery({ step, cls: 'workspace_mismatch', attemptsUsed: 0, settings: settings() }).do, step).toBe('recreate_worktree');
    }
    expect(decideRecovery({ step: 'prepare', cls: 'workspace_mismatch', attemptsUsed: 0, settings: settings() }).do).toBe('fail');
    expect(decideRecovery({ step: 'candidate', cls: 'workspace_mismatch', attemptsUsed: 0, settings: settings() }).do).toBe('block');
  });

  it('a budget blocks (not approvable) in block mode and only warns in warn mode; only a review is approvable', () => {
    expect(decideRecovery({ step: 'budget', cls: 'budget', attemptsUsed: 0, settings: settings() })).toMatchObject({ do: 'block', approvable: false });
    expect(decideRecovery({ step: 'budget', cls: 'budget', attemptsUsed: 0, settings: settings({ budgetMode: 'warn' }) }).do).toBe('warn');
    for (const cls of FAILURE_CLASSES) {
      for (const step of LANE_STEPS) {
        const d = decideRecovery({ step, cls, attemptsUsed: 9, settings: settings() });
        if (d.do === 'block') expect(d.approvable, `${cls} at ${step}`).toBe(cls === 'review');
      }
    }
    expect(decideRecovery({ step: 'landing', cls: 'review', attemptsUsed: 0, settings: settings({ recoveryAttempts: 5 }) })).toMatchObject({ do: 'block', approvable: true });
  });

  it('docs/policy.md shows the decision table the code makes (class × step × attempts × recoveryAttempts)', () => {
    const doc = docTable('failure class');
    const code = decisionTable().map((r) => [r.cls, r.step, r.first, r.second, r.noRecovery]);
    expect(doc).toEqual(code);
    // Every class is in it.
    expect(new Set(doc.map((r) => r[0]))).toEqual(new Set(FAILURE_CLASSES));
  });

  it('docs/policy.md shows the packet settings that change a decision', () => {
    expect(docTable('packet setting')).toEqual(settingRows().map((r) => [r.setting, r.cls, r.step, r.action]));
  });

  it('every recipe in docs/policy.md is one the code has and one some decision executes', () => {
    const documented = docTable('recipe').map((r) => r[0]);
    expect(documented.sort()).toEqual([...RECIPE_IDS].sort());
    const executed = new Set<string>();
    for (const cls of FAILURE_CLASSES) {
      for (const step of LANE_STEPS) {
        const d = decideRecovery({ step, cls, attemptsUsed: 0, settings: settings({ recoveryAttempts: 5 }) });
        if ('recipe' in d) executed.add(d.recipe);
      }
    }
    expect([...executed].sort()).toEqual(RECIPE_IDS.filter((id) => id !== 'none').sort());
  });

  it.each<[string, number, number | undefined, number]>([
    ['the base delay on the first attempt', 0, undefined, BACKOFF_BASE_MS],
    ['a doubled delay on the second attempt', 1, undefined, BACKOFF_BASE_MS * 2],
    ['the cap for many attempts', 20, undefined, BACKOFF_MAX_MS],
    ["the provider's longer retry-after", 0, 90, 90_000],
    ['the backoff when retry-after is shorter', 0, 5, BACKOFF_BASE_MS],
    ['the backoff when retry-after is not a number', 0, Number.NaN, BACKOFF_BASE_MS],
    ['the backoff when retry-after is negative', 0, -3, BACKOFF_BASE_MS],
  ])('backoffDelayMs uses %s', (_label, used, retryAfter, expected) => {
    expect(backoffDelayMs(used, retryAfter)).toBe(expected);
  });

  it('honours retry-after for a rate-limited provider and adds no delay to other recipes', () => {
    expect(decideRecovery({ step: 'model_turn', cls: 'provider_rate_limit', attemptsUsed: 0, settings: DEFAULT_SETTINGS, retryAfterSeconds: 120 })).toMatchObject({
      do: 'rerun',
      recipe: 'backoff_retry',
      delayMs: 120_000,
    });
    expect(decideRecovery({ step: 'tool_call', cls: 'tool_runtime', attemptsUsed: 0, settings: DEFAULT_SETTINGS, retryAfterSeconds: 120 })).toMatchObject({ do: 'rerun', delayMs: 0 });
  });

  it('docs/policy.md lists every class with the retry decision, recipe, escalation and recommendation the code makes', () => {
    const rows = new Map<string, string[]>();
    for (const line of POLICY_MD.split('\n')) {
      const cells = line.split('|').slice(1, -1).map((c) => c.trim());
      const cls = cells[0]?.replace(/`/g, '');
      if (cells.length === 7 && isFailureClass(cls)) rows.set(cls, cells.slice(1));
    }
    expect([...rows.keys()].sort()).toEqual([...FAILURE_CLASSES].sort());
    for (const cls of FAILURE_CLASSES) {
      const r = recoveryFor(cls);
      expect(rows.get(cls), cls).toEqual([
        isRetryable(cls) ? 'yes' : 'no',
        `\`${r.id}\``,
        String(r.maxAttempts),
        r.escalateTo,
        r.approvable ? 'yes' : 'no',
        recommendationFor(cls),
      ]);
    }
  });
});
