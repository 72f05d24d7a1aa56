// The decision behind `lanes status` of a closed lane: the memo's final answer only for a
// closed run that recorded it itself; anything else asks the `status` query, as before.
import { describe, expect, it } from 'vitest';
import { finalStatusFrom, type LaneDescription, type LaneReader, laneStatusOn } from '../../../src/client/lane-reader.js';
import { FINAL_STATUS_MEMO, LANE_QUERIES } from '../../../src/workflows/lane/names.js';

const answer = { summary: { laneId: 'a', phase: 'finished' }, state: { laneId: 'a', state: 'finished' } };
const closed = (memo: Record<string, unknown>, status = 'COMPLETED', runId = 'r1'): LaneDescription => ({ status, runId, memo });

/** A reader over a fixed description that records the queries it is asked. */
function recordingReader(d: LaneDescription | undefined) {
  const queries: string[] = [];
  const reader: LaneReader = {
    describe: async () => d,
    query: async <T>(name: string) => {
      queries.push(name);
      return { summary: { laneId: 'a', phase: 'live' }, state: { laneId: 'a', state: 'live' } } as T;
    },
  };
  return { reader, queries };
}

describe('finalStatusFrom', () => {
  it('answers a closed run (any closed status) from the memo it wrote itself', () => {
    for (const status of ['COMPLETED', 'FAILED', 'CANCELLED', 'TERMINATED', 'TIMED_OUT']) {
      expect(finalStatusFrom(closed({ [FINAL_STATUS_MEMO]: { runId: 'r1', ...answer } }, status))).toEqual(answer);
    }
  });

  it('does NOT answer a running or continued run, a memo of another run, a missing or malformed memo', () => {
    const memo = { [FINAL_STATUS_MEMO]: { runId: 'r1', ...answer } };
    expect(finalStatusFrom(closed(memo, 'RUNNING'))).toBeUndefined();
    expect(finalStatusFrom(closed(memo, 'CONTINUED_AS_NEW'))).toBeUndefined();
    expect(finalStatusFrom(closed(memo, 'COMPLETED', 'r2'))).toBeUndefined();
    expect(finalStatusFrom(closed({}))).toBeUndefined();
    expect(finalStatusFrom(closed({ [FINAL_STATUS_MEMO]: null }))).toBeUndefined();
    expect(finalStatusFrom(closed({ [FINAL_STATUS_MEMO]: { runId: 'r1', summary: answer.summary } }))).toBeUndefined();
    expect(finalStatusFrom(closed({ [FINAL_STATUS_MEMO]: 'text' }))).toBeUndefined();
  });
});

describe('laneStatusOn', () => {
  it('a closed lane with the memo: no query sent', async () => {
    const { reader, queries } = recordingReader(closed({ [FINAL_STATUS_MEMO]: { runId: 'r1', ...answer } }));
    expect(await laneStatusOn(reader, 'a')).toEqual({ workflowStatus: 'COMPLETED', ...answer });
    expect(queries).toEqual([]);
  });

  it('a running lane, or a closed one without the memo: the status query, once', async () => {
    for (const d of [closed({ [FINAL_STATUS_MEMO]: { runId: 'r1', ...answer } }, 'RUNNING'), closed({})]) {
      const { reader, queries } = recordingReader(d);
      expect((await laneStatusOn(reader, 'a')).summary).toEqual({ laneId: 'a', phase: 'live' });
      expect(queries).toEqual([LANE_QUERIES.status]);
    }
  });

  it('a missing lane is not_found, and no query is sent', async () => {
    const { reader, queries } = recordingReader(undefined);
    await expect(laneStatusOn(reader, 'a')).rejects.toMatchObject({ code: 'not_found' });
    expect(queries).toEqual([]);
  });
});
