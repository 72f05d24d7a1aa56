import { ActivityFailure, ApplicationFailure, RetryState, TimeoutFailure, TimeoutType } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { failureHint, innermostMessage } from '../../../src/workflows/failure-text.js';
import { laneFailure } from '../../../src/failures.js';

describe('failure text', () => {
  it('gives the activity failure its own message and hint, never "Activity task failed"', () => {
    const inner = laneFailure('validator', 'repo.path: repo.path /nope does not exist', { hint: 'set repo.path to a local git checkout' });
    const wrapped = new ActivityFailure('Activity task failed', 'preflightLane', '1', RetryState.NON_RETRYABLE_FAILURE, 'worker', inner);
    expect(innermostMessage(wrapped)).toBe('repo.path: repo.path /nope does not exist');
    expect(failureHint(wrapped)).toBe('set repo.path to a local git checkout');
    // Must NOT: the wrapper's words.
    expect(innermostMessage(wrapped)).not.toMatch(/Activity task failed/);
  });

  it('names the step and the kind of timeout for a timed-out activity', () => {
    const timeout = new TimeoutFailure('Activity task timed out', undefined, TimeoutType.START_TO_CLOSE);
    const wrapped = new ActivityFailure('Activity task timed out', 'runAcceptance', '2', RetryState.TIMEOUT, 'worker', timeout);
    expect(innermostMessage(wrapped)).toBe('runAcceptance hit its start-to-close timeout');
    expect(failureHint(wrapped)).toBeNull();
  });

  it('keeps a plain error as it is', () => {
    expect(innermostMessage(new Error('boom'))).toBe('boom');
    expect(innermostMessage(ApplicationFailure.create({ message: 'plain', type: 'infra' }))).toBe('plain');
  });
});
