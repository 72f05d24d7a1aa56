// Custom search attributes the Web UI filters lanes by. Workflow-safe.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const LANE_STATE = defineSearchAttributeKey('LaneState', SearchAttributeType.KEYWORD);
export const LANE_FAILURE_CLASS = defineSearchAttributeKey('LaneFailureClass', SearchAttributeType.KEYWORD);
export const LANE_GREEN_LEVEL = defineSearchAttributeKey('LaneGreenLevel', SearchAttributeType.KEYWORD);
export const LANE_REPO = defineSearchAttributeKey('LaneRepo', SearchAttributeType.KEYWORD);
export const LANE_BRANCH = defineSearchAttributeKey('LaneBranch', SearchAttributeType.KEYWORD);
export const LANE_PACKET_ID = defineSearchAttributeKey('LanePacketId', SearchAttributeType.KEYWORD);

/** Every attribute `lanes server` registers; doctor checks the same list. */
export const LANE_SEARCH_ATTRIBUTES = [LANE_STATE, LANE_FAILURE_CLASS, LANE_GREEN_LEVEL, LANE_REPO, LANE_BRANCH, LANE_PACKET_ID] as const;
