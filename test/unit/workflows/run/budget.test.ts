import { describe, expect, it } from 'vitest';
import { budgetExceeded, laneBudget, NO_USAGE, sumUsage } from '../../../../src/workflows/run/budget.js';

const run = (o: Record<string, unknown> = {}) => ({ mode: 'block' as const, ...o });

describe('workflows/run/budget', () => {
  it('sums each lane once', () => {
    expect(sumUsage({ a: { inputTokens: 10, outputTokens: 5, costUsd: 0.1 }, b: { inputTokens: 1, outputTokens: 1, costUsd: 0.2 } })).toEqual({ inputTokens: 11, outputTokens: 6, costUsd: 0.30000000000000004 });
    expect(sumUsage({})).toEqual(NO_USAGE);
  });

  it.each([
    [{ tokens: 100 }, { inputTokens: 60, outputTokens: 40, costUsd: 0 }, 0, ['tokens 100/100']],
    [{ tokens: 100 }, { inputTokens: 60, outputTokens: 39, costUsd: 0 }, 0, []],
    [{ costUsd: 1 }, { inputTokens: 0, outputTokens: 0, costUsd: 1.5 }, 0, ['cost $1.5000/$1']],
    [{ wallTimeMs: 1000 }, NO_USAGE, 1000, ['wall time 1000 ms/1000 ms']],
    [{}, { inputTokens: 1e9, outputTokens: 0, costUsd: 1e6 }, 1e9, []],
  ])('budgetExceeded(%j, %j, %d) = %j', (budget, usage, elapsed, want) => {
    expect(budgetExceeded(run(budget), usage, elapsed)).toEqual(want);
  });

  it('block mode tightens a lane to the run remainder (never below 1 token), keeping a smaller own limit', () => {
    expect(laneBudget(run({ tokens: 100 }), { mode: 'warn' }, { inputTokens: 30, outputTokens: 10, costUsd: 0 }, 0)).toEqual({ mode: 'block', tokens: 60 });
    expect(laneBudget(run({ tokens: 100 }), { mode: 'block', tokens: 20 }, NO_USAGE, 0)).toEqual({ mode: 'block', tokens: 20 });
    expect(laneBudget(run({ tokens: 100 }), { mode: 'block' }, { inputTokens: 200, outputTokens: 0, costUsd: 0 }, 0)).toEqual({ mode: 'block', tokens: 1 });
    expect(laneBudget(run({ wallTimeMs: 5000 }), { mode: 'block' }, NO_USAGE, 2000)).toEqual({ mode: 'block', wallTimeMs: 3000 });
  });

  it('warn mode, or no run limits, leaves the lane budget alone', () => {
    const own = { mode: 'warn' as const, tokens: 5 };
    expect(laneBudget({ mode: 'warn', tokens: 10 }, own, NO_USAGE, 0)).toBe(own);
    expect(laneBudget(run(), own, NO_USAGE, 0)).toBe(own);
  });
});
