// The compressed lane view (phase, last checkpoint, current blocker, next action),
// derived from events only — never from log text.
import type { LaneEvent } from './events.js';
import { assertNever, type FailureClass } from '../failure-classes.js';
import type { GreenLevel, LaneState } from './state.js';

export interface LaneSummary {
  laneId: string;
  phase: LaneState;
  greenLevel: GreenLevel;
  lastSeq: number;
  lastEvent: string | null;
  lastCheckpoint: { seq: number; type: string; detail: string; commit?: string } | null;
  /** `tail`: the end of the failing test output when tests caused the block (capped). */
  blocker: { class: FailureClass; detail: string; since: string; tail?: string } | null;
  recommendedAction: string;
  /** In awaiting_approval: the tool call waiting for `lanes approve` / `lanes deny`. */
  approval?: { requestId: string; tool: string; call: string; rule: string | null; since: string };
}

/** What an operator (or a claw) should do about a lane stopped by this class. */
export function recommendationFor(cls: FailureClass): string {
  switch (cls) {
    case 'trust_gate':
      return 'review the repository, then `lanes trust <lane>`';
    case 'test':
    case 'compile':
      return 'inspect the failing test log in the lane folder, then `lanes resolve <lane> --retry` or `--abort`';
    case 'merge_conflict':
    case 'branch_divergence':
      return 'resolve the conflict on the lane branch by hand, then `lanes resolve <lane> --retry`';
    case 'provider_auth':
      return 'fix the provider credentials in the worker environment, then `lanes resolve <lane> --retry`';
    case 'provider_rate_limit':
    case 'provider_internal':
      return 'wait for the provider to recover, then `lanes resolve <lane> --retry`';
    case 'context_window':
      return 'reduce the task scope or use a model with a larger context window, then retry';
    case 'mcp_config':
      return 'fix the MCP server entry in the packet and resubmit under a new id';
    case 'mcp_startup':
    case 'mcp_handshake':
    case 'plugin_startup':
      return 'check the MCP server command and its log in the lane folder, then `lanes resolve <lane> --retry`';
    case 'tool_runtime':
      return 'inspect the tool output in the lane folder, then retry';
    case 'budget':
      return 'decide on the spend: `lanes resolve <lane> --retry` lifts the limit for this lane, or `--abort`';
    case 'review':
      return 'review the lane diff, then `lanes resolve <lane> --approve` (or `--abort`)';
    case 'validator':
    case 'manifest':
      return 'fix the packet (or the write manifest) and resubmit under a new id';
    case 'workspace_mismatch':
      return 'a lane worktree was replaced or moved; `lanes resolve <lane> --retry` recreates it from the lane branch';
    case 'prompt_delivery':
      return 'check the model request in the lane transcript, then retry';
    case 'infra':
      return 'check the worker log and `lanes doctor`, then `lanes resolve <lane> --retry`';
    case 'cancelled':
      return 'none: the lane was cancelled on request';
    default:
      return assertNever(cls);
  }
}

export const CHECKPOINT_TYPES = new Set(['lane.ready', 'lane.commit.created', 'lane.green', 'branch.merged_forward', 'lane.merge.ready', 'lane.merged']);

/** The newest event matching `test`, walking back from the end (no copy of the list). */
export function findLast(events: readonly LaneEvent[], test: (e: LaneEvent) => boolean): LaneEvent | undefined {
  for (let i = events.length - 1; i >= 0; i--) if (test(events[i]!)) return events[i];
  return undefined;
}

/**
 * The earlier events a summary refers to: the last checkpoint, the last event with a
 * failure class, the last approval request. A lane keeps them as it emits (markEvent),
 * so its summary costs the same at event 10 and event 10 000.
 */
export interface SummaryMarks {
  checkpoint?: LaneEvent;
  failure?: LaneEvent;
  approval?: LaneEvent;
}

const isApprovalRequest = (e: LaneEvent) => e.type === 'lane.approval.requested';
const hasFailure = (e: LaneEvent) => Boolean(e.failureClass);
const needsBlocker = (phase: LaneState) => phase === 'blocked' || phase === 'failed' || phase === 'trust_required';

/** Records `e` in the marks (in emit order). */
export function markEvent(marks: SummaryMarks, e: LaneEvent): void {
  if (CHECKPOINT_TYPES.has(e.type)) marks.checkpoint = e;
  if (hasFailure(e)) marks.failure = e;
  if (isApprovalRequest(e)) marks.approval = e;
}

export function summarize(laneId: string, events: readonly LaneEvent[]): LaneSummary {
  const last = events[events.length - 1];
  const phase: LaneState = last?.state ?? 'spawning';
  // Walk back only for what this phase shows.
  return summarizeMarked(laneId, last, {
    checkpoint: findLast(events, (e) => CHECKPOINT_TYPES.has(e.type)),
    failure: needsBlocker(phase) ? findLast(events, hasFailure) : undefined,
    approval: phase === 'awaiting_approval' ? findLast(events, isApprovalRequest) : undefined,
  });
}

/** The summary from the last event and the marks of the events before it. */
export function summarizeMarked(laneId: string, last: LaneEvent | undefined, marks: SummaryMarks): LaneSummary {
  const phase: LaneState = last?.state ?? 'spawning';
  const checkpoint = marks.checkpoint;
  const blocking = needsBlocker(phase) ? marks.failure : undefined;
  const blockerClass: FailureClass | undefined = phase === 'trust_required' ? 'trust_gate' : blocking?.failureClass;
  const asked = phase === 'awaiting_approval' ? marks.approval : undefined;
  let recommendedAction: string;
  if (phase === 'failed') recommendedAction = `none: the lane has ended${blockerClass ? ` (${blockerClass})` : ''}; fix the cause and submit a packet with a new id`;
  // A gate may name a more precise action than its class (the review gate: --approve).
  else if (blockerClass) recommendedAction = typeof blocking?.data.recommended === 'string' && phase === 'blocked' ? blocking.data.recommended : recommendationFor(blockerClass);
  else if (phase === 'finished') recommendedAction = 'none: the lane is finished';
  else if (typeof asked?.data.recommended === 'string') recommendedAction = asked.data.recommended;
  else recommendedAction = 'wait: the lane is making progress';
  return {
    laneId,
    phase,
    greenLevel: last?.greenLevel ?? 'none',
    lastSeq: last?.seq ?? 0,
    lastEvent: last?.type ?? null,
    lastCheckpoint: checkpoint
      ? { seq: checkpoint.seq, type: checkpoint.type, detail: checkpoint.detail, ...(typeof checkpoint.data.sha === 'string' ? { commit: checkpoint.data.sha } : {}) }
      : null,
    blocker: blockerClass ? blockerOf(blockerClass, blocking ?? last) : null,
    recommendedAction,
    ...approvalOf(asked),
  };
}

function approvalOf(e: LaneEvent | undefined): Pick<LaneSummary, 'approval'> {
  if (!e) return {};
  const d = e.data;
  return { approval: { requestId: String(d.requestId), tool: String(d.tool), call: String(d.call), rule: typeof d.rule === 'string' ? d.rule : null, since: e.ts } };
}

function blockerOf(cls: FailureClass, e: LaneEvent | undefined): NonNullable<LaneSummary['blocker']> {
  const tail = e?.data.failingTail;
  return { class: cls, detail: e?.detail ?? '', since: e?.ts ?? '', ...(typeof tail === 'string' && tail ? { tail } : {}) };
}

/** Characters of failing test output a blocker carries (the end of it; the full log stays on disk). */
export const FAILING_TAIL_CHARS = 800;

/** The end of the failing commands' output, for the blocker: capped, cut at a line start. */
export function failingTail(failed: readonly { name: string; tail: string }[]): string {
  const text = failed.map((f) => `$ ${f.name}\n${f.tail.trimEnd()}`).join('\n');
  if (text.length <= FAILING_TAIL_CHARS) return text;
  const cut = text.slice(-FAILING_TAIL_CHARS);
  const nl = cut.indexOf('\n');
  return nl >= 0 && nl < cut.length - 1 ? cut.slice(nl + 1) : cut;
}

/** Characters of a Current Details line (the Web UI frame fits three ~110-character lines). */
export const DETAILS_LINE_CHARS = 100;

/** Text for markdown the Web UI renders: one line, no HTML, no markup from event text. */
export function markdownText(text: string, max = DETAILS_LINE_CHARS): string {
  const one = text.replace(/\s+/g, ' ').trim();
  const cut = one.length > max ? `${one.slice(0, max - 1)}…` : one;
  return cut.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/([\\`*_[\]#|~])/g, '\\$1');
}

/**
 * The Web UI's Current Details of a lane: three lines in one paragraph (hard breaks), in
 * order of importance — phase and next action, blocker, last event. The UI sizes its
 * frame to the paragraph but not to its margins, so more lines would clip the last one.
 */
export function currentDetails(s: LaneSummary, opts: { scripted?: boolean; lastDetail?: string } = {}): string {
  // The recommendation is our own text; its `<lane>` placeholders sit in code spans.
  const next = s.recommendedAction.replace(/<lane>/g, s.laneId);
  const phase = `**${s.phase}** · next: ${next}`;
  const blocker = s.blocker ? `blocker: ${markdownText(`${s.blocker.class} — ${s.blocker.detail}`)}` : 'blocker: none';
  const repeat = !opts.lastDetail || (s.blocker !== null && opts.lastDetail === s.blocker.detail);
  const last = `last: ${markdownText(`#${s.lastSeq} ${s.lastEvent ?? '-'}${repeat ? '' : ` — ${opts.lastDetail}`}`, DETAILS_LINE_CHARS - 30)} · green ${s.greenLevel}${opts.scripted ? ' · scripted provider' : ''}`;
  return [phase, blocker, last].join('\\\n');
}
