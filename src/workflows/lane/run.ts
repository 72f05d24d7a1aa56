// LaneRun: all of a lane's state in one object, with the event log it writes.
// toResume()/fromResume() are the only way state crosses continue-as-new, so a
// field added here is either carried or visibly left out.
import { patched, proxyActivities, setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { FailureClass } from '../../failures.js';
import type { TaskPacket } from '../../packet/schema.js';
import { LANE_FAILURE_CLASS, LANE_GREEN_LEVEL, LANE_STATE } from '../../shared/search-attributes.js';
import type { LanesActivities } from '../../worker/activities.js';
import { EVENT_SCHEMA_ID, type EventType, type LaneEvent } from '../events.js';
import type { GreenLevel, LaneState } from '../state.js';
import { currentDetails, type LaneSummary, markEvent, type SummaryMarks, summarizeMarked } from '../summary.js';
import type { HostActivities } from './activity-profiles.js';
import { WEBHOOK_PROFILE } from './activity-profiles.js';
import { EventLog } from './event-log.js';
import type { CheckoutAfter } from '../../git/lane-branch.js';
import type { CloseoutResult } from '../../git/lane-closeout.js';
import type { TestedRun } from '../policy.js';
import type { EarlyLandingChecks } from './landing-checks.js';
import { type ApprovalDecision, type ApprovalRequest, CARRIED_EVENTS, type LaneCommit, type LandedCommit, type LaneInput, type LaneLoop, type LaneReport, type LaneResume, type LaneStatus, type LaneUsage, type QueuedMessage, type Resolution, type RestartRequest } from './api.js';

const webhookActs = proxyActivities<LanesActivities>(WEBHOOK_PROFILE);

/** Patch marker: search attributes are upserted only when one of them changed (older runs upsert on every event). */
export const UPSERT_ON_CHANGE_PATCH = 'lanes-upsert-on-change';

export class LaneRun {
  readonly laneId: string;
  readonly packet: TaskPacket & { id: string };
  readonly repoPath: string;
  readonly branch: string;
  readonly target: string;
  readonly startedAt: Date;

  // Where the lane is.
  state: LaneState = 'spawning';
  greenLevel: GreenLevel = 'none';
  failureClass: FailureClass | null = null;
  detail = '';
  worktreePath: string | null = null;
  hostQueue: string | null = null;

  // What it has done.
  /** This run's events, after the window carried from earlier runs (older ones: events.jsonl). */
  events: LaneEvent[] = [];
  /** The last event's seq: the lane's whole log, not just the events in memory. */
  seq = 0;
  /** Older events the summary needs that the carried window no longer holds. */
  anchors: LaneEvent[] = [];
  /** Highest seq written to events.jsonl on the lane's host. */
  flushedSeq = 0;
  commits: LaneCommit[] = [];
  mergeCommit: string | null = null;
  landedCommits: LandedCommit[] = [];
  /** The git closeout already done by the landing's fast-forward (land.ts), reported by closeout.ts. */
  gitCloseout: CloseoutResult | null = null;
  hint: string | null = null;
  landed = false;
  usage: LaneUsage = { turns: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };
  scripted: boolean;
  report: LaneReport | null = null;

  // Agent/test loop position.
  turn = 0;
  testRun = 0;
  promptAccepted = false;
  compactionEmitted = false;
  loop: LaneLoop = { pass: 1, turnInPass: 0, recoveries: 0, extraPrompt: undefined };
  /** The external agent pass in flight and how many of its turns were emitted live (external-agent.ts). */
  liveAgentPass: { pass: number; emitted: number; open: boolean } | null = null;

  // Operator gates (escalation.ts).
  trusted = false;
  /** Who sent the trust signal (`lanes trust` sends $USER), when they said. */
  trustedBy: string | null = null;
  resolution: Resolution | null = null;
  /** Whether the current blocker may be approved (a review). */
  blockerApprovable = false;

  // Budget gate (agent.ts): limits warned about once, limits an operator lifted.
  budgetWarned = new Set<string>();
  budgetLifted = new Set<string>();

  // Steering (steering.ts). Messages wait in the inbox for the next turn boundary and are
  // carried across continue-as-new; an approval request lives within one agent turn, and
  // continue-as-new only happens between turns, so it never needs carrying.
  inbox: QueuedMessage[] = [];
  messagesReceived = 0;
  pendingApproval: ApprovalRequest | null = null;
  approvalDecision: ApprovalDecision | null = null;
  restartRequest: RestartRequest | null = null;
  /** First turn of the agent's transcript (a restart starts a fresh conversation). */
  transcriptFrom = 1;

  /** The worktree after the last step that wrote and looked at it (commitWork, mergeForward); null once anything else ran there. */
  checkout: CheckoutAfter | null = null;
  /** The top worktree level's green run in the last test run, which the candidate may reuse (land.ts). */
  testedRun: TestedRun | null = null;
  /** Whether the merge candidate ran its tests, and why (the report's `candidate`). */
  candidateTests: LaneReport['candidate'] = undefined;

  /** The landing's diff reads, started beside the last test run (or its branch status), kept when that status found the branch fresh at once (land.ts). */
  landingChecks: EarlyLandingChecks | null = null;

  /** Host-bound activities that follow the lane to a new host (hosts.ts); set once a host is claimed. */
  acts!: HostActivities;
  /** Webhook deliveries run beside the lane: they never block or fail it. */
  readonly webhooks: Promise<unknown>[] = [];

  /** events.jsonl on the lane's host: writes in seq order, one in flight. */
  private readonly log = new EventLog(this);
  /** The indexed values last upserted (state|green|class), to skip upserts that change nothing. */
  private indexed: string | null = null;
  /** What the summary refers back to, kept as events are emitted (never a walk over the list). */
  private marks: SummaryMarks = {};
  /** The summary of the first `seq` events: computed once per event, not per reader. */
  private cachedSummary: { seq: number; summary: LaneSummary } | null = null;

  private constructor(readonly input: LaneInput) {
    const { packet } = input;
    this.laneId = input.laneId;
    this.packet = packet;
    this.repoPath = packet.repo.path ?? packet.repo.url ?? '';
    this.branch = packet.branch.name ?? `lanes/${packet.id}`;
    this.target = packet.merge.target ?? packet.repo.baseBranch;
    const carried = input.resume ?? input.restart?.prior;
    this.startedAt = carried ? new Date(carried.startedAt) : new Date();
    this.scripted = packet.agent.provider === 'scripted';
  }

  /** A new lane, or the continuation of one when the input carries `resume` (or a failed run's state: `restart`). */
  static fromInput(input: LaneInput): LaneRun {
    const carried = input.resume ?? input.restart?.prior;
    return carried ? LaneRun.fromResume(input, carried) : new LaneRun(input);
  }

  static fromResume(input: LaneInput, r: LaneResume): LaneRun {
    const run = new LaneRun(input);
    run.events = [...r.events];
    run.seq = r.lastSeq ?? r.events[r.events.length - 1]?.seq ?? 0;
    run.anchors = [...(r.anchors ?? [])];
    for (const e of run.anchors) markEvent(run.marks, e);
    for (const e of run.events) markEvent(run.marks, e);
    run.flushedSeq = r.flushedSeq;
    run.commits = [...r.commits];
    run.usage = { ...r.usage };
    run.scripted = r.scripted;
    run.worktreePath = r.worktreePath;
    run.hostQueue = r.hostQueue;
    run.state = r.state;
    run.greenLevel = r.greenLevel;
    run.turn = r.turn;
    run.testRun = r.testRun;
    run.promptAccepted = r.promptAccepted;
    run.compactionEmitted = r.compactionEmitted;
    run.loop = { ...r.loop };
    // Absent in resumes written before budget state was carried.
    run.budgetWarned = new Set(r.budgetWarned ?? []);
    run.budgetLifted = new Set(r.budgetLifted ?? []);
    run.inbox = [...(r.inbox ?? [])];
    run.messagesReceived = r.messagesReceived ?? 0;
    run.transcriptFrom = r.transcriptFrom ?? 1;
    return run;
  }

  toResume(): LaneResume {
    const window = this.events.slice(-Math.max(1, this.input.carriedEvents ?? CARRIED_EVENTS));
    const first = window[0]?.seq ?? this.seq + 1;
    // What the summary refers back to: keep it when it falls out of the window.
    const anchors = [this.marks.checkpoint, this.marks.failure]
      .filter((e): e is LaneEvent => e !== undefined && e.seq < first)
      .sort((a, b) => a.seq - b.seq)
      .filter((e, i, list) => i === 0 || list[i - 1]!.seq !== e.seq);
    return {
      startedAt: this.startedAt.toISOString(),
      events: window,
      lastSeq: this.seq,
      anchors,
      flushedSeq: this.flushedSeq,
      commits: this.commits,
      usage: this.usage,
      scripted: this.scripted,
      worktreePath: this.worktreePath!,
      hostQueue: this.hostQueue!,
      state: this.state,
      greenLevel: this.greenLevel,
      turn: this.turn,
      testRun: this.testRun,
      promptAccepted: this.promptAccepted,
      compactionEmitted: this.compactionEmitted,
      loop: this.loop,
      budgetWarned: [...this.budgetWarned],
      budgetLifted: [...this.budgetLifted],
      inbox: this.inbox,
      messagesReceived: this.messagesReceived,
      transcriptFrom: this.transcriptFrom,
    };
  }

  /** The next run's input under continue-as-new (a failed run's state, once taken over, is not carried twice). */
  continuedInput(): LaneInput {
    return { ...this.input, resume: this.toResume(), restart: undefined };
  }

  get lastSeq(): number {
    return this.seq;
  }

  status(): LaneStatus {
    const { laneId, state, greenLevel, failureClass, worktreePath, hostQueue, report } = this;
    return {
      laneId,
      state,
      greenLevel,
      failureClass,
      worktreePath,
      hostQueue,
      lastSeq: this.lastSeq,
      report,
      usage: { ...this.usage },
      pendingApproval: this.pendingApproval,
      queuedMessages: this.inbox.length,
    };
  }

  eventsAfter(afterSeq = 0): LaneEvent[] {
    return this.events.filter((e) => e.seq > afterSeq);
  }

  summary(): LaneSummary {
    if (this.cachedSummary?.seq !== this.seq) this.cachedSummary = { seq: this.seq, summary: summarizeMarked(this.laneId, this.events.at(-1) ?? this.anchors.at(-1), this.marks) };
    return this.cachedSummary.summary;
  }

  /** Appends an event, mirrors state into search attributes and the Web UI details. */
  emit(type: EventType, text: string, data: Record<string, unknown> = {}, cls?: FailureClass): void {
    const event: LaneEvent = {
      schema: EVENT_SCHEMA_ID,
      seq: this.seq + 1,
      ts: new Date().toISOString(),
      laneId: this.laneId,
      runId: workflowInfo().runId,
      type,
      state: this.state,
      greenLevel: this.greenLevel,
      ...(cls ? { failureClass: cls } : {}),
      detail: text,
      data,
    };
    this.events.push(event);
    markEvent(this.marks, event);
    this.seq = event.seq;
    this.detail = text;
    // Each upsert is a command and an indexed write on the server: only when a value changed.
    const indexed = `${this.state}|${this.greenLevel}|${this.failureClass ?? ''}`;
    if (indexed !== this.indexed || !patched(UPSERT_ON_CHANGE_PATCH)) {
      this.indexed = indexed;
      upsertSearchAttributes([
        { key: LANE_STATE, value: this.state },
        { key: LANE_GREEN_LEVEL, value: this.greenLevel },
        // Cleared when a blocker is resolved, so the Web UI never shows a stale class.
        { key: LANE_FAILURE_CLASS, value: this.failureClass },
      ]);
    }
    setCurrentDetails(currentDetails(this.summary(), { scripted: this.scripted, lastDetail: text }));
  }

  /** A state change: the event, then the webhook (when the packet has one). */
  setState(next: LaneState, type: EventType, text: string, data: Record<string, unknown> = {}, cls?: FailureClass): void {
    this.state = next;
    this.emit(type, text, data, cls);
    this.notify();
  }

  private notify(): void {
    const url = this.packet.report.webhook;
    if (!url) return;
    this.webhooks.push(webhookActs.postLaneSummary({ url, laneId: this.laneId, seq: this.lastSeq, summary: this.summary() }).catch(() => undefined));
  }

  /** Writes the events not yet in events.jsonl on the lane's host, and waits for it. */
  flush(): Promise<void> {
    return this.log.flush();
  }

  /** Starts writing the events not yet in events.jsonl beside the lane's next step (event-log.ts). */
  flushSoon(): Promise<void> {
    return this.log.soon();
  }

  /** Waits for the events write in flight; a failed one throws here. */
  eventsWritten(): Promise<void> {
    return this.log.settled();
  }

  /** Records a commit once (a retried step may report the same sha again). */
  addCommit(sha: string, step: string): void {
    if (!this.commits.some((c) => c.sha === sha)) this.commits.push({ sha, step });
  }

  finalReport(): LaneReport {
    const { packet } = this;
    const finishedAt = new Date();
    return {
      schema: 'lanes.report/v1',
      laneId: this.laneId,
      packetId: packet.id,
      state: this.state,
      greenLevel: this.greenLevel,
      failureClass: this.failureClass,
      detail: this.detail,
      hint: this.hint,
      provider: { name: packet.agent.provider, model: packet.agent.model, scripted: this.scripted },
      repo: this.repoPath,
      branch: this.branch,
      target: this.target,
      worktreePath: this.worktreePath,
      commits: this.commits,
      mergeCommit: this.mergeCommit,
      landedCommits: this.landedCommits,
      landed: this.landed,
      ...(this.candidateTests ? { candidate: this.candidateTests } : {}),
      usage: this.usage,
      timings: { startedAt: this.startedAt.toISOString(), finishedAt: finishedAt.toISOString(), durationMs: finishedAt.getTime() - this.startedAt.getTime() },
      events: this.lastSeq,
    };
  }
}
