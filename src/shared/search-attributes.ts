// Custom search attributes the Web UI filters lanes (and chaos runs) by. Workflow-safe.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const LANE_STATE = defineSearchAttributeKey('LaneState', SearchAttributeType.KEYWORD);
export const LANE_FAILURE_CLASS = defineSearchAttributeKey('LaneFailureClass', SearchAttributeType.KEYWORD);
export const LANE_GREEN_LEVEL = defineSearchAttributeKey('LaneGreenLevel', SearchAttributeType.KEYWORD);
export const LANE_REPO = defineSearchAttributeKey('LaneRepo', SearchAttributeType.KEYWORD);
export const LANE_BRANCH = defineSearchAttributeKey('LaneBranch', SearchAttributeType.KEYWORD);
export const LANE_PACKET_ID = defineSearchAttributeKey('LanePacketId', SearchAttributeType.KEYWORD);
/** The run a lane belongs to (set on the run workflow and on each of its lanes), so the Web UI lists a run's lanes. */
export const LANE_RUN_ID = defineSearchAttributeKey('LaneRunId', SearchAttributeType.KEYWORD);
/** Invariant violations a chaos run found (0 = every promise kept). */
export const CHAOS_VIOLATIONS = defineSearchAttributeKey('ChaosViolations', SearchAttributeType.INT);

/** Every attribute `lanes server` registers; doctor checks the same list. */
export const LANE_SEARCH_ATTRIBUTES = [LANE_STATE, LANE_FAILURE_CLASS, LANE_GREEN_LEVEL, LANE_REPO, LANE_BRANCH, LANE_PACKET_ID, LANE_RUN_ID, CHAOS_VIOLATIONS] as const;

/** The dev server's `--search-attribute Name=Type` spelling of a key's type. */
export function cliTypeName(type: SearchAttributeType): string {
  switch (type) {
    case SearchAttributeType.KEYWORD:
      return 'Keyword';
    case SearchAttributeType.INT:
      return 'Int';
    case SearchAttributeType.TEXT:
      return 'Text';
    case SearchAttributeType.DOUBLE:
      return 'Double';
    case SearchAttributeType.BOOL:
      return 'Bool';
    case SearchAttributeType.DATETIME:
      return 'Datetime';
    case SearchAttributeType.KEYWORD_LIST:
      return 'KeywordList';
    default:
      throw new TypeError(`unknown search attribute type ${String(type)}`);
  }
}
