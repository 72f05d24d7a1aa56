// The bench's per-activity profile, read from real recorded lane histories
// (test/histories): every activity the lane ran appears once, in schedule order,
// with non-negative gaps and run times; the medians line steps up by occurrence.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { describe, expect, it } from 'vitest';
import { activityProfile, activitySteps } from '../../../src/bench/activity-profile.js';

const dir = fileURLToPath(new URL('../../histories/', import.meta.url));
const load = (f: string) => historyFromJSON(JSON.parse(readFileSync(dir + f, 'utf8'))).events ?? [];
const activityNames = (events: ReturnType<typeof load>) => events.flatMap((e) => (e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes.activityType?.name] : []));
// Landed lanes, whatever the coordinator's re-recording names them.
const landed = readdirSync(dir)
  .filter((f) => f.startsWith('lane-') && f.endsWith('.json'))
  .sort()
  .filter((f) => activityNames(load(f)).includes('advanceTarget'))
  .slice(0, 3);

describe('bench activity profile', () => {
  it('has landed lane histories to read', () => {
    expect(landed.length).toBeGreaterThanOrEqual(2);
  });

  it('lists every activity of a lane once, in schedule order, gaps and runs never negative', () => {
    const events = load(landed[0]!);
    const { steps, totalMs, activeMs } = activitySteps(events);
    expect(steps.map((s) => s.activity)).toEqual(activityNames(events));
    expect(steps[0]!.activity).toBe('claimHost');
    for (let i = 1; i < steps.length; i++) expect(steps[i]!.scheduledMs).toBeGreaterThanOrEqual(steps[i - 1]!.scheduledMs);
    // Parallel steps (events and report at the end) must not show a negative gap.
    expect(steps.filter((s) => s.gapMs < 0 || s.runMs < 0)).toEqual([]);
    expect(totalMs).toBeCloseTo(Math.max(...steps.map((s) => s.scheduledMs + s.runMs)), 6);
    // Overlapping steps are counted once: running time never exceeds the lane's total.
    expect(activeMs).toBeLessThanOrEqual(totalMs);
    expect(activeMs).toBeGreaterThanOrEqual(Math.max(...steps.map((s) => s.runMs)));
  });

  it('takes medians step by step, the k-th run of an activity type against the k-th', () => {
    const a = activitySteps(load(landed[0]!));
    const b = activitySteps(load(landed[1]!));
    const same = activityProfile([a, a, a]);
    expect(same.lanes).toBe(3);
    expect(same.rows.map((r) => [r.activity, r.scheduledMs, r.gapMs, r.runMs])).toEqual(a.steps.map((s) => [s.activity, Math.round(s.scheduledMs), Math.round(s.gapMs), Math.round(s.runMs)]));
    expect(same.rows.every((r) => r.n === 3)).toBe(true);

    const mixed = activityProfile([a, b]);
    const recordEvents = mixed.rows.filter((r) => r.activity === 'recordEvents');
    // One row per occurrence, never all recordEvents folded into one.
    expect(recordEvents.length).toBe(Math.max(...[a, b].map((l) => l.steps.filter((s) => s.activity === 'recordEvents').length)));
    expect(mixed.totalMs).toBe(Math.round(Math.min(a.totalMs, b.totalMs)));
  });
});
