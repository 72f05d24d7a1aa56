import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FAILURE_CLASSES, type FailureClass, isFailureClass, isRetryable } from '../../../src/failures.js';
import { decideAfterRed } from '../../../src/workflows/policy.js';
import { recommendationFor } from '../../../src/workflows/summary.js';
import {
  attemptLimit,
  BACKOFF_BASE_MS,
  BACKOFF_MAX_MS,
  backoffDelayMs,
  isWarningLevel,
  nextStep,
  RECIPE_IDS,
  type RecipeId,
  RECOVERY_RECIPES,
  recoveryFor,
} from '../../../src/workflows/recovery.js';

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
      expect(recipe).toMatchObject({ id, escalateTo, maxAttempts: id === 'none' ? 0 : 1 });
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

  it.each(recoverable)('%s recovers once with the default packet, then escalates', (cls) => {
    const first = nextStep({ cls, attemptsUsed: 0, recoveryAttempts: 1 });
    expect(first).toMatchObject({ action: 'recover', attempt: 1, recipe: { id: EXPECTED[cls].id } });
    const second = nextStep({ cls, attemptsUsed: 1, recoveryAttempts: 1 });
    expect(second).toMatchObject({ action: 'escalate', to: EXPECTED[cls].escalateTo });
    expect(second.action).not.toBe('recover');
  });

  it.each(recoverable)('%s escalates at once when the packet allows 0 recovery attempts', (cls) => {
    const step = nextStep({ cls, attemptsUsed: 0, recoveryAttempts: 0 });
    expect(step).toMatchObject({ action: 'escalate', to: 'blocked' });
    expect(step.action === 'escalate' && step.reason).toMatch(/recoveryAttempts is 0/);
  });

  it.each(immediate)('%s never recovers automatically, whatever the packet allows', (cls) => {
    for (const recoveryAttempts of [0, 1, 5]) {
      const step = nextStep({ cls, attemptsUsed: 0, recoveryAttempts });
      expect(step).toMatchObject({ action: 'escalate', to: EXPECTED[cls].escalateTo });
      expect(step.action === 'escalate' && step.reason).toMatch(/no automatic recovery/);
    }
    expect(attemptLimit(cls, 5)).toBe(0);
  });

  it.each([
    [0, 0],
    [1, 1],
    [3, 3],
    [5, 5],
  ])('a recoverable class gets recoveryAttempts=%i automatic attempts (limit %i)', (recoveryAttempts, limit) => {
    expect(attemptLimit('test', recoveryAttempts)).toBe(limit);
    const steps = Array.from({ length: limit + 1 }, (_, used) => nextStep({ cls: 'test', attemptsUsed: used, recoveryAttempts }).action);
    expect(steps).toEqual([...Array<string>(limit).fill('recover'), 'escalate']);
  });

  it.each([
    [0, 0],
    [0, 1],
    [1, 1],
    [1, 2],
    [2, 2],
    [3, 5],
  ])('agrees with policy.decideAfterRed for test failures (used %i of %i)', (used, attempts) => {
    expect(nextStep({ cls: 'test', attemptsUsed: used, recoveryAttempts: attempts }).action).toBe(decideAfterRed(used, attempts).action);
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
    expect(nextStep({ cls: 'provider_rate_limit', attemptsUsed: 0, recoveryAttempts: 1, retryAfterSeconds: 120 })).toMatchObject({
      action: 'recover',
      recipe: { id: 'backoff_retry' },
      delayMs: 120_000,
    });
    expect(nextStep({ cls: 'test', attemptsUsed: 0, recoveryAttempts: 1, retryAfterSeconds: 120 })).toMatchObject({ action: 'recover', delayMs: 0 });
  });

  it.each(FAILURE_CLASSES.map((cls) => [cls] as const))('isWarningLevel(%s) lets --approve override only a warn-mode budget', (cls) => {
    expect(isWarningLevel(cls)).toBe(false);
    expect(isWarningLevel(cls, { budgetMode: 'block' })).toBe(false);
    expect(isWarningLevel(cls, { budgetMode: 'warn' })).toBe(cls === 'budget');
  });

  it('docs/policy.md lists every class with the retry decision, recipe, escalation and recommendation the code makes', () => {
    const doc = readFileSync(new URL('../../../docs/policy.md', import.meta.url), 'utf8');
    const rows = new Map<string, string[]>();
    for (const line of doc.split('\n')) {
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
        isWarningLevel(cls, { budgetMode: 'warn' }) ? 'warn mode only' : 'no',
        recommendationFor(cls),
      ]);
    }
  });
});
