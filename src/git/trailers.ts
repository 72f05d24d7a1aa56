// Lane trailers: every commit Lanes makes carries `Lane-Id` and `Lane-Step`, the
// idempotency key that lets a retried step find the commit it already made. Pure.

export const LANE_ID_TRAILER = 'Lane-Id';
export const LANE_STEP_TRAILER = 'Lane-Step';
/** The step of the commit that lands a lane on its target (merge or squash). */
export const LAND_STEP = 'land';

/** Hex digits of the base head in a merge-forward step name: fixed, unlike `--short`. */
const STEP_SHA_LENGTH = 12;

export interface LaneCommit {
  sha: string;
  subject: string;
  laneId: string | null;
  step: string | null;
}

/** The step name of merging `baseHead` into a lane branch. */
export function mergeForwardStep(baseHead: string): string {
  return `merge-forward-${baseHead.slice(0, STEP_SHA_LENGTH)}`;
}

/**
 * `message` with the lane trailers as its final paragraph. Appended rather than passed as
 * `git commit --trailer` so the same text works for merge commits and older gits.
 */
export function withLaneTrailers(message: string, laneId: string, step: string): string {
  const body = message.replace(/\s+$/, '') || `lanes: ${step}`;
  return `${body}\n\n${LANE_ID_TRAILER}: ${laneId}\n${LANE_STEP_TRAILER}: ${step}\n`;
}

const FIELD = '%x1f';
const VALUE_SEP = '%x1e';

/** `git log --format` for parseLaneLog (use with `-z`). */
export const LANE_LOG_FORMAT = [
  '%H',
  '%s',
  `%(trailers:key=${LANE_ID_TRAILER},valueonly,unfold,separator=${VALUE_SEP})`,
  `%(trailers:key=${LANE_STEP_TRAILER},valueonly,unfold,separator=${VALUE_SEP})`,
].join(FIELD);

// The last value wins: Lanes appends its trailers after anything the message already had.
function lastValue(field: string | undefined): string | null {
  const values = (field ?? '')
    .split('\x1e')
    .map((v) => v.trim())
    .filter(Boolean);
  return values.at(-1) ?? null;
}

/** Parses `git log -z --format=LANE_LOG_FORMAT` output. */
export function parseLaneLog(stdout: string): LaneCommit[] {
  return stdout
    .split('\0')
    .map((record) => record.replace(/^\n+/, ''))
    .filter((record) => record.length > 0)
    .map((record) => {
      const [sha = '', subject = '', laneId, step] = record.split('\x1f');
      return { sha, subject, laneId: lastValue(laneId), step: lastValue(step) };
    });
}
