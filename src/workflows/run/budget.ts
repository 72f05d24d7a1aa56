// The run budget (docs/runs.md): usage is the sum of each lane's own final totals, counted
// once per lane. Pure: the run workflow decides with it, tests table it.
import type { RunBudget } from '../../packet/plan-schema.js';
import type { TaskPacket } from '../../packet/schema.js';

export interface RunUsage {
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

export const NO_USAGE: RunUsage = { inputTokens: 0, outputTokens: 0, costUsd: 0 };

/** Sums per-lane usage; a lane appears once in the map, so nothing is counted twice. */
export function sumUsage(perLane: Readonly<Record<string, RunUsage>>): RunUsage {
  const total = { ...NO_USAGE };
  for (const u of Object.values(perLane)) {
    total.inputTokens += u.inputTokens;
    total.outputTokens += u.outputTokens;
    total.costUsd += u.costUsd;
  }
  return total;
}

/** Limits reached (at or past), as readable strings; empty when within budget. */
export function budgetExceeded(budget: RunBudget, usage: RunUsage, elapsedMs: number): string[] {
  const out: string[] = [];
  const tokens = usage.inputTokens + usage.outputTokens;
  if (budget.tokens !== undefined && tokens >= budget.tokens) out.push(`tokens ${tokens}/${budget.tokens}`);
  if (budget.costUsd !== undefined && usage.costUsd >= budget.costUsd) out.push(`cost $${usage.costUsd.toFixed(4)}/$${budget.costUsd}`);
  if (budget.wallTimeMs !== undefined && elapsedMs >= budget.wallTimeMs) out.push(`wall time ${elapsedMs} ms/${budget.wallTimeMs} ms`);
  return out;
}

/**
 * The budget a lane gets under a blocking run budget: its own limits, tightened to what the
 * run has left, in block mode — so a lane stops at the run's limit before it lands (it can
 * never integrate past it). Lanes running in parallel each get the whole remainder; the run
 * then blocks further starts once the sum reaches the limit. Under 'warn' (or no run limits)
 * the packet's budget is left alone.
 */
export function laneBudget(run: RunBudget, own: TaskPacket['budget'], usage: RunUsage, elapsedMs: number): TaskPacket['budget'] {
  if (run.mode !== 'block') return own;
  const min = (a: number | undefined, b: number | undefined) => (a === undefined ? b : b === undefined ? a : Math.min(a, b));
  const tokensLeft = run.tokens === undefined ? undefined : Math.max(1, run.tokens - usage.inputTokens - usage.outputTokens);
  const costLeft = run.costUsd === undefined ? undefined : Math.max(0.000001, run.costUsd - usage.costUsd);
  const wallLeft = run.wallTimeMs === undefined ? undefined : Math.max(1, run.wallTimeMs - elapsedMs);
  if (tokensLeft === undefined && costLeft === undefined && wallLeft === undefined) return own;
  const out: TaskPacket['budget'] = { mode: 'block' };
  const tokens = min(own.tokens, tokensLeft);
  const costUsd = min(own.costUsd, costLeft);
  const wallTimeMs = min(own.wallTimeMs, wallLeft);
  if (tokens !== undefined) out.tokens = tokens;
  if (costUsd !== undefined) out.costUsd = costUsd;
  if (wallTimeMs !== undefined) out.wallTimeMs = wallTimeMs;
  return out;
}
