import {
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  ChildWorkflowFailure,
  DefaultFailureConverter,
  defaultPayloadConverter,
  RetryState,
  TimeoutFailure,
  TimeoutType,
} from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { LanesError } from '../../src/errors.js';
import {
  causeChain,
  classifyFailure,
  FAILURE_CLASSES,
  type FailureClass,
  failureDetails,
  isFailureClass,
  isRetryable,
  laneFailure,
} from '../../src/failures.js';

/** The expected retry decision, written out per class (a new class must be added here). */
const RETRYABLE: Record<FailureClass, boolean> = {
  prompt_delivery: true,
  trust_gate: false,
  branch_divergence: false,
  merge_conflict: false,
  compile: false,
  test: false,
  mcp_config: false,
  mcp_startup: true,
  mcp_handshake: false,
  plugin_startup: false,
  tool_runtime: false,
  provider_auth: false,
  provider_rate_limit: true,
  provider_internal: true,
  context_window: false,
  budget: false,
  review: false,
  validator: false,
  manifest: false,
  workspace_mismatch: false,
  infra: true,
  cancelled: false,
};

const activityWrap = (cause: Error, retryState: RetryState = RetryState.MAXIMUM_ATTEMPTS_REACHED) =>
  new ActivityFailure('Activity task failed', 'modelTurn', '7', retryState, 'worker@host', cause);
const childWrap = (cause: Error) =>
  new ChildWorkflowFailure('default', { workflowId: 'lane-x', runId: 'r1' }, 'laneWorkflow', RetryState.NON_RETRYABLE_FAILURE, cause);
/** What Temporal makes of a non-ApplicationFailure error thrown by an activity: type = constructor name. */
const converted = (message: string, cause?: Error) => ApplicationFailure.create({ type: 'Error', message, cause });

describe('failures', () => {
  it('causeChain walks an error and its causes outermost first, and ends on a cycle', () => {
    const inner = new Error('inner');
    const middle = new Error('middle', { cause: inner });
    const outer = new Error('outer', { cause: middle });
    expect([...causeChain(outer)].map((e) => e.message)).toEqual(['outer', 'middle', 'inner']);
    // Must not: loop forever on a cause cycle, or yield a non-object.
    (inner as { cause?: unknown }).cause = outer;
    expect([...causeChain(outer)]).toHaveLength(3);
    expect([...causeChain('text')]).toEqual([]);
    expect([...causeChain(new Error('x', { cause: 'a string' }))]).toHaveLength(1);
  });

  it('lists every class exactly once and recognises only those', () => {
    expect(new Set(FAILURE_CLASSES).size).toBe(FAILURE_CLASSES.length);
    expect(Object.keys(RETRYABLE).sort()).toEqual([...FAILURE_CLASSES].sort());
    expect(isFailureClass('context_window')).toBe(true);
    expect(isFailureClass('Error')).toBe(false);
    expect(isFailureClass(undefined)).toBe(false);
  });

  it.each(FAILURE_CLASSES.map((cls) => [cls, RETRYABLE[cls]] as const))('isRetryable(%s) is %s', (cls, retryable) => {
    expect(isRetryable(cls)).toBe(retryable);
  });

  it.each(FAILURE_CLASSES.map((cls) => [cls, !RETRYABLE[cls]] as const))('laneFailure(%s) is typed by its class with nonRetryable=%s', (cls, nonRetryable) => {
    const cause = new Error('root cause');
    const f = laneFailure(cls, `${cls} happened`, { requestId: 'req_1', hint: 'do x' }, cause);
    expect(f).toBeInstanceOf(ApplicationFailure);
    expect(f.type).toBe(cls);
    expect(f.nonRetryable).toBe(nonRetryable);
    expect(f.message).toBe(`${cls} happened`);
    expect(f.details).toEqual([{ requestId: 'req_1', hint: 'do x' }]);
    expect(f.cause).toBe(cause);
    expect(classifyFailure(f)).toBe(cls);
  });

  it.each<[string, unknown, FailureClass]>([
    ['a retry-exhausted activity failure around a context_window failure', activityWrap(laneFailure('context_window', 'too big')), 'context_window'],
    [
      'a child workflow failure around an activity failure around a rate limit',
      childWrap(activityWrap(laneFailure('provider_rate_limit', '429'))),
      'provider_rate_limit',
    ],
    [
      'ApplicationFailures nested three deep, each classed',
      laneFailure('infra', 'outer', {}, laneFailure('provider_internal', 'middle', {}, laneFailure('context_window', 'inner'))),
      'context_window',
    ],
    [
      'an unclassed converted error around an activity failure around a merge conflict',
      converted('wrapped', activityWrap(laneFailure('merge_conflict', 'conflict'))),
      'merge_conflict',
    ],
    ['a plain Error whose cause is a classed failure', new Error('outer', { cause: laneFailure('compile', 'tsc failed') }), 'compile'],
    ['a plain Error around a LanesError with a failure class', new Error('outer', { cause: new LanesError('runtime', 'over budget', undefined, 'budget') }), 'budget'],
    ['a classed failure around an unclassed one', laneFailure('workspace_mismatch', 'outer', {}, converted('inner')), 'workspace_mismatch'],
    ['a cancelled activity', activityWrap(new CancelledFailure('cancelled'), RetryState.CANCEL_REQUESTED), 'cancelled'],
  ])('classifyFailure keeps the innermost class through %s', (_label, err, expected) => {
    expect(classifyFailure(err)).toBe(expected);
  });

  it('never lets a wrapper without a class replace the class it wraps', () => {
    const inner = laneFailure('context_window', 'too big');
    const err = childWrap(activityWrap(converted('retry exhausted', inner)));
    expect(classifyFailure(err)).toBe('context_window');
    expect(classifyFailure(err)).not.toBe('infra');
  });

  it.each<[string, unknown]>([
    ['an activity timeout without a class', activityWrap(new TimeoutFailure('timed out', undefined, TimeoutType.START_TO_CLOSE), RetryState.TIMEOUT)],
    ['a plain Error', new Error('boom')],
    ['a string', 'boom'],
    ['undefined', undefined],
    ['an object with an unknown type', { type: 'SomethingElse' }],
  ])('classifyFailure falls back for %s', (_label, err) => {
    expect(classifyFailure(err)).toBe('infra');
    expect(classifyFailure(err, 'tool_runtime')).toBe('tool_runtime');
  });

  it('stops on a cyclic cause chain instead of looping', () => {
    const a = new Error('a') as Error & { cause?: unknown };
    const b = laneFailure('test', 'b', {}, a);
    a.cause = b;
    expect(classifyFailure(a)).toBe('test');
    expect(failureDetails(a)).toEqual({});
  });

  it('keeps the class and details through the real Temporal failure converter', () => {
    const conv = new DefaultFailureConverter();
    const err = activityWrap(laneFailure('context_window', 'too big', { requestId: 'req_ctx', retryAfterSeconds: 3, estimatedTokens: 210_000 }));
    const decoded = conv.failureToError(conv.errorToFailure(err, defaultPayloadConverter), defaultPayloadConverter);
    expect(decoded).toBeInstanceOf(ActivityFailure);
    expect(decoded).not.toBe(err);
    expect(classifyFailure(decoded)).toBe('context_window');
    expect(failureDetails(decoded)).toMatchObject({ requestId: 'req_ctx', retryAfterSeconds: 3, estimatedTokens: 210_000 });
  });

  it('failureDetails keeps the provider requestId through wrappers and lets the inner details win', () => {
    const inner = laneFailure('provider_rate_limit', '429', { requestId: 'req_inner', retryAfterSeconds: 20, hint: 'inner hint' });
    const err = childWrap(activityWrap(laneFailure('infra', 'outer', { hint: 'outer hint', attempt: 4 }, inner)));
    expect(failureDetails(err)).toEqual({ requestId: 'req_inner', retryAfterSeconds: 20, hint: 'inner hint', attempt: 4 });
    expect(failureDetails(new Error('no details'))).toEqual({});
    expect(failureDetails(undefined)).toEqual({});
  });
  it('a retryable failure with retry-after tells Temporal when to retry; a non-retryable one does not', () => {
    expect(laneFailure('provider_rate_limit', 'slow down', { retryAfterSeconds: 3 }).nextRetryDelay).toBe(3000);
    expect(laneFailure('provider_rate_limit', 'slow down').nextRetryDelay).toBeUndefined();
    expect(laneFailure('provider_auth', 'no', { retryAfterSeconds: 3 }).nextRetryDelay).toBeUndefined();
  });
});
