import { describe, expect, it } from 'vitest';
import { locksConflict, locksOverlap } from '../../../../src/workflows/run/locks.js';
import { nextTasks, planBatches, type SchedTask, type TaskStatus } from '../../../../src/workflows/run/scheduler.js';

const task = (id: string, o: { deps?: string[]; reads?: string[]; writes?: string[] } = {}): SchedTask => ({
  id,
  dependsOn: o.deps ?? [],
  locks: { reads: o.reads ?? [], writes: o.writes ?? [] },
});
const pending = (tasks: SchedTask[], over: Record<string, TaskStatus> = {}) => ({ ...Object.fromEntries(tasks.map((t) => [t.id, 'pending' as TaskStatus])), ...over });

describe('workflows/run/locks', () => {
  it.each([
    ['db', 'db', true],
    ['db', 'cache', false],
    ['src', 'src/a.ts', true],
    ['src/a.ts', 'src/b.ts', false],
    ['src/api/**', 'src/api/x.ts', true],
    ['src/api/**', 'src/db/**', false],
    ['src/**', 'src/db/**', true],
    ['*.md', 'src/x.ts', true],
    ['src/a*', 'src/b.ts', false],
  ])('locksOverlap(%s, %s) is %s', (a, b, want) => {
    expect(locksOverlap(a, b)).toBe(want);
    expect(locksOverlap(b, a)).toBe(want);
  });

  it('write/write and read/write conflict, read/read does not', () => {
    expect(locksConflict({ reads: [], writes: ['x'] }, { reads: [], writes: ['x'] })).toBe(true);
    expect(locksConflict({ reads: ['x'], writes: [] }, { reads: [], writes: ['x'] })).toBe(true);
    expect(locksConflict({ reads: [], writes: ['x'] }, { reads: ['x'], writes: [] })).toBe(true);
    expect(locksConflict({ reads: ['x'], writes: [] }, { reads: ['x'], writes: [] })).toBe(false);
    expect(locksConflict({ reads: [], writes: ['a'] }, { reads: [], writes: ['b'] })).toBe(false);
  });
});

describe('workflows/run/scheduler', () => {
  it('never starts two writers of the same resource together, and starts disjoint ones together', () => {
    const tasks = [task('a', { writes: ['src/**'] }), task('b', { writes: ['src/x.ts'] }), task('c', { writes: ['docs/**'] })];
    const d = nextTasks({ tasks, status: pending(tasks), maxParallel: 5 });
    expect(d.start).toEqual(['a', 'c']);
    expect(d.start).not.toContain('b');
  });

  it('serializes a read/write pair', () => {
    const tasks = [task('w', { writes: ['db'] }), task('r', { reads: ['db'] })];
    expect(planBatches(tasks, 4)).toEqual([['w'], ['r']]);
  });

  it('lets readers of one resource run together', () => {
    const tasks = [task('r1', { reads: ['db'] }), task('r2', { reads: ['db'] })];
    expect(planBatches(tasks, 4)).toEqual([['r1', 'r2']]);
  });

  it('does not start a task that conflicts with a running one', () => {
    const tasks = [task('a', { writes: ['db'] }), task('b', { writes: ['db'] })];
    expect(nextTasks({ tasks, status: pending(tasks, { a: 'running' }), maxParallel: 4 }).start).toEqual([]);
  });

  it('runs a dependency chain in order', () => {
    const tasks = [task('c', { deps: ['b'] }), task('b', { deps: ['a'] }), task('a')];
    expect(planBatches(tasks, 4)).toEqual([['a'], ['b'], ['c']]);
  });

  it('starts a dependent only once its dependency landed (or was reused)', () => {
    const tasks = [task('a'), task('b', { deps: ['a'] })];
    expect(nextTasks({ tasks, status: pending(tasks, { a: 'running' }), maxParallel: 4 }).start).toEqual([]);
    expect(nextTasks({ tasks, status: pending(tasks, { a: 'landed' }), maxParallel: 4 }).start).toEqual(['b']);
    expect(nextTasks({ tasks, status: pending(tasks, { a: 'reused' }), maxParallel: 4 }).start).toEqual(['b']);
  });

  it('respects maxParallel, counting running tasks', () => {
    const tasks = [task('a'), task('b'), task('c'), task('d')];
    expect(nextTasks({ tasks, status: pending(tasks), maxParallel: 2 }).start).toEqual(['a', 'b']);
    expect(nextTasks({ tasks, status: pending(tasks, { a: 'running' }), maxParallel: 2 }).start).toEqual(['b']);
    expect(planBatches(tasks, 3)).toEqual([['a', 'b', 'c'], ['d']]);
  });

  it('skips the dependents of a failed task, transitively, and nothing else', () => {
    const tasks = [task('a'), task('b', { deps: ['a'] }), task('c', { deps: ['b'] }), task('d')];
    const d = nextTasks({ tasks, status: pending(tasks, { a: 'failed' }), maxParallel: 4 });
    expect(d.skip).toEqual([
      { taskId: 'b', dependency: 'a', reason: 'dependency a failed' },
      { taskId: 'c', dependency: 'b', reason: 'dependency b was skipped' },
    ]);
    expect(d.start).toEqual(['d']);
  });

  it('starts nothing when a run-level gate stopped starts, but still reports skips', () => {
    const tasks = [task('a'), task('b', { deps: ['x'] }), task('x')];
    const d = nextTasks({ tasks, status: pending(tasks, { x: 'failed' }), maxParallel: 4, stopStarting: true });
    expect(d.start).toEqual([]);
    expect(d.skip.map((s) => s.taskId)).toEqual(['b']);
  });

  it('refuses to plan batches for a cycle', () => {
    expect(() => planBatches([task('a', { deps: ['b'] }), task('b', { deps: ['a'] })], 2)).toThrow(/can never start/);
  });
});
