// The lane.tests.started / lane.tests.finished events: which commands a level runs and,
// afterwards, how each one ended and how long it took. Pure and workflow-safe.
import type { AcceptanceResult } from '../activities/tests.js';
import type { AcceptanceCommand, GreenLevel } from '../packet/schema.js';

export interface TestRunEvent {
  text: string;
  data: Record<string, unknown>;
}

export function testsStarted(level: GreenLevel, attemptKey: string, commands: readonly AcceptanceCommand[], where: 'worktree' | 'candidate'): TestRunEvent {
  const names = commands.map((c) => c.name);
  return {
    text: `${level} tests started${where === 'candidate' ? ' on the merge candidate' : ''}: ${names.join(', ') || '(no commands)'}`,
    data: { level, attemptKey, where, commands: names },
  };
}

export function testsFinished(level: GreenLevel, attemptKey: string, r: AcceptanceResult): TestRunEvent {
  const durationMs = r.results.reduce((sum, c) => sum + c.durationMs, 0);
  const each = r.results.map((c) => `${c.name} ${c.timedOut ? 'timed out' : c.exitCode === null ? 'killed' : `exit ${c.exitCode}`} (${(c.durationMs / 1000).toFixed(1)} s)`);
  return {
    text: `${level} tests finished in ${(durationMs / 1000).toFixed(1)} s: ${each.join(', ') || 'no commands'}`,
    data: {
      level,
      attemptKey,
      passed: r.passed,
      durationMs,
      commands: r.results.map((c) => ({ name: c.name, exitCode: c.exitCode, timedOut: c.timedOut, durationMs: c.durationMs })),
    },
  };
}
