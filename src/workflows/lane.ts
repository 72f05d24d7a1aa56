// laneWorkflow: one task packet becomes one durable lane. Wiring only — the
// decisions live in policy.ts, states in state.ts, the summary in summary.ts.
import {
  ActivityFailure,
  allHandlersFinished,
  CancellationScope,
  CancelledFailure,
  condition,
  ContinueAsNew,
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  isCancellation,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  TimeoutFailure,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { TaskPacket } from '../packet/schema.js';
import {
  LANE_BRANCH,
  LANE_FAILURE_CLASS,
  LANE_GREEN_LEVEL,
  LANE_PACKET_ID,
  LANE_REPO,
  LANE_STATE,
} from '../shared/search-attributes.js';
import type { LanesActivities } from '../worker/activities.js';
import { requiredFailures } from '../mcp/report.js';
import { EVENT_SCHEMA_ID, type EventType, type LaneEvent } from './events.js';
import { classifyFailure, type FailureClass, failureDetails as failureDetailsOf, laneFailure } from './failures.js';
import { isWarningLevel, nextStep } from './recovery.js';
import { candidateCommands, decideAfterRed, decideLanding, fixupPrompt, levelsToRun, reachedLevel } from './policy.js';
import { type GreenLevel, type LaneState, maxLevel, type WorktreeLevel } from './state.js';
import { currentDetails, failingTail, type LaneSummary, recommendationFor, summarize } from './summary.js';

export interface LaneInput {
  laneId: string;
  /** Parsed packet with defaults applied and `id` set. */
  packet: TaskPacket & { id: string };
  fingerprint: string;
  /** Continue-as-new once history has this many events (the server's suggestion also counts). */
  historyEventLimit?: number;
  /** Re-home when a host-bound step waits this long for its host (default 5 min). */
  rehomeAfterMs?: number;
  /** Set only by continue-as-new: where the previous run stopped. */
  resume?: LaneResume;
}

/** Everything a lane carries across continue-as-new (at a boundary between agent turns). */
export interface LaneResume {
  startedAt: string;
  events: LaneEvent[];
  flushedSeq: number;
  commits: LaneCommit[];
  usage: { turns: number; inputTokens: number; outputTokens: number; costUsd: number };
  scripted: boolean;
  worktreePath: string;
  hostQueue: string;
  state: LaneState;
  greenLevel: GreenLevel;
  turn: number;
  testRun: number;
  promptAccepted: boolean;
  compactionEmitted: boolean;
  loop: { pass: number; turnInPass: number; recoveries: number; extraPrompt?: string };
}

export const DEFAULT_HISTORY_EVENT_LIMIT = 10_000;

export interface LaneCommit {
  sha: string;
  step: string;
}

export interface LaneReport {
  schema: 'lanes.report/v1';
  laneId: string;
  packetId: string;
  state: LaneState;
  greenLevel: GreenLevel;
  failureClass: FailureClass | null;
  detail: string;
  provider: { name: string; model: string; scripted: boolean };
  repo: string;
  branch: string;
  target: string;
  worktreePath: string | null;
  commits: LaneCommit[];
  mergeCommit: string | null;
  landed: boolean;
  usage: { turns: number; inputTokens: number; outputTokens: number; costUsd: number };
  timings: { startedAt: string; finishedAt: string; durationMs: number };
  events: number;
}

export interface LaneStatus {
  laneId: string;
  state: LaneState;
  greenLevel: GreenLevel;
  failureClass: FailureClass | null;
  worktreePath: string | null;
  hostQueue: string | null;
  lastSeq: number;
  report: LaneReport | null;
}

export type Resolution = { action: 'retry' | 'abort' | 'approve'; note?: string };

export const stateQuery = defineQuery<LaneStatus>('state');
export const eventsQuery = defineQuery<LaneEvent[], [number?]>('events');
export const summaryQuery = defineQuery<LaneSummary>('summary');
export const trustSignal = defineSignal<[{ by?: string }?]>('trust');
export const resolveUpdate = defineUpdate<{ accepted: true; action: Resolution['action'] }, [Resolution]>('resolve');

const sharedActs = proxyActivities<LanesActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumAttempts: 5 },
});

// Webhook delivery retries inside the activity and never throws; one attempt here.
const webhookActs = proxyActivities<LanesActivities>({ startToCloseTimeout: '1m', retry: { maximumAttempts: 1 } });

/** How long a host-bound step may wait for its host before the lane re-homes (DESIGN.md §1). */
export const DEFAULT_REHOME_AFTER_MS = 5 * 60_000;

function hostActivities(queue: string, packet: TaskPacket, rehomeAfterMs: number) {
  const testTimeoutMs = packet.acceptance.timeoutMs;
  // A step nobody picks up within scheduleToStartTimeout means the host is gone.
  const taskQueue = queue;
  const scheduleToStartTimeout = rehomeAfterMs;
  return {
    // Every host-bound step heartbeats (the worker's liveness beat, src/worker/liveness.ts):
    // 15 s without one means the worker died, even when the reaper has no record of the attempt.
    // git: 2 min bounds a checkout of a large repository (50k files: seconds).
    git: proxyActivities<LanesActivities>({ taskQueue, scheduleToStartTimeout, startToCloseTimeout: '2m', heartbeatTimeout: '15s', retry: { initialInterval: '1s', maximumAttempts: 5 } }),
    model: proxyActivities<LanesActivities>({
      taskQueue,
      scheduleToStartTimeout,
      startToCloseTimeout: '10m',
      heartbeatTimeout: '15s',
      retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 5 },
    }),
    tools: proxyActivities<LanesActivities>({ taskQueue, scheduleToStartTimeout, startToCloseTimeout: '15m', heartbeatTimeout: '15s', retry: { initialInterval: '1s', maximumAttempts: 5 } }),
    tests: proxyActivities<LanesActivities>({
      taskQueue,
      scheduleToStartTimeout,
      // Per-command timeouts are enforced inside; this bounds a whole level.
      startToCloseTimeout: Math.max(testTimeoutMs * 4, 60_000),
      heartbeatTimeout: '15s',
      retry: { initialInterval: '1s', maximumAttempts: 5 },
    }),
    misc: proxyActivities<LanesActivities>({ taskQueue, scheduleToStartTimeout, startToCloseTimeout: '2m', heartbeatTimeout: '15s', retry: { initialInterval: '1s', maximumAttempts: 5 } }),
  };
}

/** A lane that ended without merging for a reason an operator must see. */
class LaneStop extends Error {
  constructor(
    readonly failureClass: FailureClass,
    message: string,
  ) {
    super(message);
  }
}

export async function laneWorkflow(input: LaneInput): Promise<LaneReport> {
  const { laneId, packet, resume } = input;
  const startedAt = resume ? new Date(resume.startedAt) : new Date();
  const repoPath = packet.repo.path ?? packet.repo.url ?? '';
  const branch = packet.branch.name ?? `lanes/${packet.id}`;
  const target = packet.merge.target ?? packet.repo.baseBranch;

  let state: LaneState = resume?.state ?? 'spawning';
  let greenLevel: GreenLevel = resume?.greenLevel ?? 'none';
  let failureClass: FailureClass | null = null;
  let worktreePath: string | null = resume?.worktreePath ?? null;
  let hostQueue: string | null = resume?.hostQueue ?? null;
  let report: LaneReport | null = null;
  let trusted = false;
  let resolution: Resolution | null = null;
  let blockerWarnOnly = false;
  const events: LaneEvent[] = resume ? [...resume.events] : [];
  let flushedSeq = resume?.flushedSeq ?? 0;
  const commits: LaneCommit[] = resume ? [...resume.commits] : [];
  let mergeCommit: string | null = null;
  let landed = false;
  let detail = '';
  const usage = resume ? { ...resume.usage } : { turns: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };
  let scripted = resume?.scripted ?? packet.agent.provider === 'scripted';
  // Where the agent/test loop is; carried across continue-as-new.
  const loop = resume ? { ...resume.loop } : { pass: 1, turnInPass: 0, recoveries: 0, extraPrompt: undefined as string | undefined };

  const emit = (type: EventType, text: string, data: Record<string, unknown> = {}, cls?: FailureClass) => {
    const event: LaneEvent = {
      schema: EVENT_SCHEMA_ID,
      seq: events.length + 1,
      ts: new Date().toISOString(),
      laneId,
      runId: workflowInfo().runId,
      type,
      state,
      greenLevel,
      ...(cls ? { failureClass: cls } : {}),
      detail: text,
      data,
    };
    events.push(event);
    detail = text;
    upsertSearchAttributes([
      { key: LANE_STATE, value: state },
      { key: LANE_GREEN_LEVEL, value: greenLevel },
      // Cleared when a blocker is resolved, so the Web UI never shows a stale class.
      { key: LANE_FAILURE_CLASS, value: failureClass },
    ]);
    setCurrentDetails(currentDetails(summarize(laneId, events), { scripted, lastDetail: text }));
  };
  // Webhook deliveries run beside the lane: they never block or fail it.
  const webhooks: Promise<unknown>[] = [];
  const notify = () => {
    const url = packet.report.webhook;
    if (!url) return;
    webhooks.push(webhookActs.postLaneSummary({ url, laneId, seq: events.length, summary: summarize(laneId, events) }).catch(() => undefined));
  };
  const setState = (next: LaneState, type: EventType, text: string, data: Record<string, unknown> = {}, cls?: FailureClass) => {
    state = next;
    emit(type, text, data, cls);
    notify();
  };

  setHandler(stateQuery, () => ({ laneId, state, greenLevel, failureClass, worktreePath, hostQueue, lastSeq: events.length, report }));
  setHandler(eventsQuery, (afterSeq = 0) => events.filter((e) => e.seq > afterSeq));
  setHandler(summaryQuery, () => summarize(laneId, events));
  setHandler(trustSignal, () => {
    trusted = true;
  });
  setHandler(
    resolveUpdate,
    (r) => {
      resolution = r;
      return { accepted: true as const, action: r.action };
    },
    {
      validator: (r) => {
        if (state !== 'blocked') throw new Error(`lane ${laneId} is ${state}, not blocked: nothing to resolve`);
        if (r.action === 'approve' && !blockerWarnOnly) {
          throw new Error(`the current blocker (${failureClass ?? 'unknown'}) cannot be approved: only the review gate and warning-level gates can (use --retry or --abort)`);
        }
      },
    },
  );

  if (!resume) {
    upsertSearchAttributes([
      { key: LANE_PACKET_ID, value: packet.id },
      { key: LANE_REPO, value: repoPath },
      { key: LANE_BRANCH, value: branch },
    ]);
    emit('lane.started', `lane ${laneId} started for ${repoPath} (${branch} from ${packet.repo.baseBranch})`, {
      packetId: packet.id,
      fingerprint: input.fingerprint,
      provider: packet.agent.provider,
      model: packet.agent.model,
      scripted,
    });
    hostQueue = (await sharedActs.claimHost({ laneId })).hostQueue;
  }
  // A continued run keeps its host: the worktree and MCP processes live there.
  const rehomeAfterMs = input.rehomeAfterMs ?? DEFAULT_REHOME_AFTER_MS;
  let hostActs = hostActivities(hostQueue!, packet, rehomeAfterMs);
  let rehoming: Promise<void> | null = null;
  /**
   * The host stopped picking up the lane's steps: claim a live one, recreate the
   * worktree there from the lane branch (its checkpoint commits), and go on.
   */
  const rehome = async (step: string) => {
    const from = hostQueue!;
    hostQueue = (await sharedActs.claimHost({ laneId })).hostQueue;
    hostActs = hostActivities(hostQueue, packet, rehomeAfterMs);
    if (worktreePath) worktreePath = (await hostActs.git.prepareWorktree({ laneId, repoPath, baseBranch: packet.repo.baseBranch, branch })).worktreePath;
    // The new host's events.jsonl may be empty: write the whole log there.
    flushedSeq = 0;
    emit('lane.rehomed', `${step} waited ${rehomeAfterMs} ms for ${from}; the lane moved to ${hostQueue}`, { from, to: hostQueue, step });
  };
  const isHostLost = (err: unknown) =>
    err instanceof ActivityFailure && err.cause instanceof TimeoutFailure && err.cause.timeoutType === 'SCHEDULE_TO_START';
  /** Host-bound activities that follow the lane to a new host when its host is lost. */
  const follow = (group: keyof ReturnType<typeof hostActivities>) =>
    new Proxy(
      {},
      {
        get: (_target, name: string) =>
          async (...args: unknown[]) => {
            for (;;) {
              const fn = (hostActs[group] as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[name]!;
              try {
                return await fn(...args);
              } catch (err) {
                if (!isHostLost(err)) throw err;
                // Concurrent steps share one re-homing.
                rehoming ??= rehome(`${group}.${name}`).finally(() => (rehoming = null));
                await rehoming;
              }
            }
          },
      },
    );
  const acts = { git: follow('git'), model: follow('model'), tools: follow('tools'), tests: follow('tests'), misc: follow('misc') } as unknown as ReturnType<typeof hostActivities>;

  const flush = async () => {
    const pending = events.filter((e) => e.seq > flushedSeq);
    if (pending.length === 0) return;
    await acts.misc.recordEvents({ laneId, events: pending });
    flushedSeq = pending[pending.length - 1]!.seq;
  };

  /** Waits in `blocked` for a resolution (or the escalation timeout). */
  const escalate = async (cls: FailureClass, why: string, gate: { approvable?: boolean; recommended?: string; data?: Record<string, unknown> } = {}): Promise<Resolution> => {
    failureClass = cls;
    blockerWarnOnly = gate.approvable === true || isWarningLevel(cls, { budgetMode: packet.budget.mode });
    emit('lane.escalated', `escalated: ${why}`, { recoveryAttempts: packet.escalation.recoveryAttempts }, cls);
    setState('blocked', 'lane.blocked', why, { ...gate.data, recommended: gate.recommended ?? recommendationFor(cls), approvable: blockerWarnOnly }, cls);
    await flush();
    resolution = null;
    const resolved = await condition(() => resolution !== null, packet.escalation.timeoutMs);
    if (!resolved) throw new LaneStop(cls, `blocked for ${packet.escalation.timeoutMs} ms without a resolution: ${why}`);
    const r = resolution as unknown as Resolution;
    failureClass = null;
    blockerWarnOnly = false;
    setState('running', 'lane.resolved', `resolved with ${r.action}${r.note ? `: ${r.note}` : ''}`, { resolution: r.action });
    if (r.action === 'abort') throw new LaneStop(cls, `aborted by operator while blocked: ${why}`);
    return r;
  };

  /**
   * Runs a step; a failure that is not a cancellation blocks the lane (recover
   * was already tried by the activity's retry policy) until resolved: retry runs
   * the step again, abort fails the lane with the step's class.
   */
  const withEscalation = async <T>(what: string, step: () => Promise<T>, onFailure?: (cls: FailureClass, err: unknown) => void): Promise<T> => {
    let recoveries = 0;
    for (;;) {
      try {
        return await step();
      } catch (err) {
        if (isCancellation(err) || err instanceof LaneStop) throw err;
        const cls = classifyFailure(err);
        const message = `${what} failed: ${(err as Error).message ?? String(err)}`;
        onFailure?.(cls, err);
        const next = nextStep({ cls, attemptsUsed: recoveries, recoveryAttempts: packet.escalation.recoveryAttempts, retryAfterSeconds: failureDetailsOf(err).retryAfterSeconds });
        // Recipes that mean "run the step again" are tried here once; the rest need a person.
        if (next.action === 'recover' && ['backoff_retry', 'retry_tool', 'recreate_worktree'].includes(next.recipe.id)) {
          recoveries += 1;
          emit('lane.recovery.attempted', `${what}: ${next.recipe.id} after ${cls}${next.delayMs ? ` (waiting ${Math.round(next.delayMs / 1000)} s)` : ''}`, { recipe: next.recipe.id, attempt: recoveries, delayMs: next.delayMs }, cls);
          if (next.delayMs) await sleep(next.delayMs);
          continue;
        }
        if (next.action === 'escalate' && next.to === 'failed') throw new LaneStop(cls, message);
        await escalate(cls, message);
      }
    }
  };

  /**
   * Compares the lane branch with its base and applies the packet's staleness
   * policy. Returns 'updated' when the lane branch changed (tests must re-run).
   */
  const freshen = async (before: string): Promise<'fresh' | 'updated' | 'ignored'> => {
    const base = packet.repo.baseBranch;
    for (;;) {
      const st = await acts.git.branchStatus({ laneId, worktreePath: worktreePath!, base });
      if (st.behind === 0) return 'fresh';
      const policy = packet.branch.staleness;
      emit('branch.stale_against_main', `${branch} is ${st.behind} commit(s) behind ${base} before ${before}; policy ${policy}`, { ...st, policy, before });
      if (policy === 'ignore') return 'ignored';
      if (policy === 'fail') throw new LaneStop('branch_divergence', `${branch} is behind ${base} and the packet's staleness policy is fail`);
      const input = { laneId, worktreePath: worktreePath!, base, author: packet.commit.author };
      const r = policy === 'rebase' ? await acts.git.rebaseOntoBase(input) : await acts.git.mergeForward(input);
      if (r.conflict) {
        // Never land on top of a conflict: block until someone resolves it on the lane branch.
        await escalate('merge_conflict', `${policy === 'rebase' ? 'rebasing' : 'merging'} ${base} into ${branch} conflicts in ${(r.conflictFiles ?? []).join(', ') || 'some files'}`);
        continue;
      }
      if (r.sha && policy === 'merge_forward' && !commits.some((c) => c.sha === r.sha)) commits.push({ sha: r.sha, step: 'merge-forward' });
      emit('branch.merged_forward', `${policy === 'rebase' ? 'rebased onto' : 'merged forward'} ${base} at ${st.baseHead.slice(0, 10)}`, { policy, sha: r.sha ?? null, baseHead: st.baseHead });
      return 'updated';
    }
  };

  let turn = resume?.turn ?? 0;
  let promptAccepted = resume?.promptAccepted ?? false;
  let compactionEmitted = resume?.compactionEmitted ?? false;
  let testRun = resume?.testRun ?? 0;

  /** Long lanes start a fresh run before history grows large (between agent turns only). */
  const continueIfLong = async () => {
    const info = workflowInfo();
    if (!info.continueAsNewSuggested && info.historyLength < (input.historyEventLimit ?? DEFAULT_HISTORY_EVENT_LIMIT)) return;
    await flush();
    await condition(allHandlersFinished);
    const next: LaneResume = {
      startedAt: startedAt.toISOString(),
      events,
      flushedSeq,
      commits,
      usage,
      scripted,
      worktreePath: worktreePath!,
      hostQueue: hostQueue!,
      state,
      greenLevel,
      turn,
      testRun,
      promptAccepted,
      compactionEmitted,
      loop,
    };
    await continueAsNew<typeof laneWorkflow>({ ...input, resume: next });
  };

  /**
   * Budget gate after each model turn. block: `budget.block` and the lane blocks
   * (never merges); --retry lifts that limit for this lane, --abort ends it.
   * warn: `budget.warn` once per limit, and the lane goes on.
   */
  const budgetWarned = new Set<string>();
  const budgetLifted = new Set<string>();
  const checkBudget = async (atTurn: number) => {
    const b = packet.budget;
    const over: { limit: string; used: number; max: number }[] = [];
    const tokens = usage.inputTokens + usage.outputTokens;
    if (b.tokens !== undefined && tokens > b.tokens) over.push({ limit: 'tokens', used: tokens, max: b.tokens });
    if (b.costUsd !== undefined && usage.costUsd > b.costUsd) over.push({ limit: 'costUsd', used: usage.costUsd, max: b.costUsd });
    const elapsed = Date.now() - startedAt.getTime();
    if (b.wallTimeMs !== undefined && elapsed > b.wallTimeMs) over.push({ limit: 'wallTimeMs', used: elapsed, max: b.wallTimeMs });
    for (const o of over) {
      const text = `budget ${o.limit} exceeded at turn ${atTurn}: ${Math.round(o.used * 10_000) / 10_000} > ${o.max}`;
      if (b.mode === 'warn') {
        if (!budgetWarned.has(o.limit)) emit('budget.warn', text, { ...o, turn: atTurn }, 'budget');
        budgetWarned.add(o.limit);
      } else if (!budgetLifted.has(o.limit)) {
        emit('budget.block', text, { ...o, turn: atTurn }, 'budget');
        await escalate('budget', text);
        budgetLifted.add(o.limit);
      }
    }
  };

  const runAgentPass = async (pass: number, extraPrompt?: string) => {
    for (let i = loop.turnInPass; i < packet.agent.maxTurns; i++) {
      turn += 1;
      const reply = await withEscalation(
        `model turn ${turn}`,
        () =>
          acts.model.modelTurn({
            laneId,
            turn,
            agent: packet.agent,
            objective: packet.objective,
            scopePaths: packet.scope.paths,
            worktreePath: worktreePath!,
            extraPrompt: i === 0 ? extraPrompt : undefined,
            mcpServers: packet.mcp.servers,
          }),
        (cls, err) => {
          if (cls === 'context_window') {
            const hint = (failureDetailsOf(err).hint as string | undefined) ?? 'compact the transcript or narrow the task';
            emit('context_window.blocked', `turn ${turn} does not fit the model's context window: ${hint}`, { turn, hint }, 'context_window');
          }
        },
      );
      await checkBudget(turn);
      if (reply.compacted && !compactionEmitted) {
        compactionEmitted = true;
        emit('compaction.applied', `turn ${turn}: older tool outputs compacted to fit the context window`, { turn });
      }
      scripted = reply.scripted;
      usage.turns += 1;
      usage.inputTokens += reply.usage.inputTokens;
      usage.outputTokens += reply.usage.outputTokens;
      usage.costUsd += reply.costUsd;
      if (!promptAccepted) {
        promptAccepted = true;
        setState('prompt_accepted', 'lane.prompt_accepted', `prompt accepted by ${reply.provider}${reply.scripted ? ' (scripted)' : ''} ${reply.model}`, {
          provider: reply.provider,
          model: reply.model,
          scripted: reply.scripted,
        });
        setState('running', 'lane.turn.completed', `turn ${turn}: ${reply.toolCalls.length} tool call(s)`, { turn, pass, usage: reply.usage });
      } else {
        emit('lane.turn.completed', `turn ${turn}: ${reply.toolCalls.length} tool call(s)`, { turn, pass, usage: reply.usage });
      }
      if (reply.toolCalls.length === 0) break;
      for (const call of reply.toolCalls) {
        const result = await withEscalation(`tool call ${call.name} (turn ${turn})`, () => acts.tools.executeToolCall({
          laneId,
          worktreePath: worktreePath!,
          turn,
          callId: call.id,
          permissionMode: packet.agent.permissionMode,
          allowlist: packet.agent.tools,
          writeManifest: packet.scope.writeManifest,
          mcpServers: packet.mcp.servers,
        }));
        if (result.refused) {
          emit('lane.tool.refused', `tool ${call.name} refused: ${result.refused.reason}`, { turn, callId: call.id, tool: call.name }, result.refused.class);
        }
      }
      // commit.policy per_turn: every turn that changed files is its own checkpoint commit.
      if (packet.commit.policy === 'per_turn' && reply.toolCalls.length > 0) await checkpoint(`turn-${turn}`);
      loop.turnInPass = i + 1;
      await continueIfLong();
    }
    loop.turnInPass = 0;
    await checkpoint(`work-${pass}`);
    await flush();
  };

  /** Commits whatever the worktree holds as the lane step `step` (nothing to commit: no commit). */
  const checkpoint = async (step: string) => {
    const commit = await acts.git.commitWork({
      laneId,
      step,
      worktreePath: worktreePath!,
      message: packet.commit.message ?? `lanes: ${packet.objective.split('\n')[0]!.slice(0, 60)}`,
      author: packet.commit.author,
    });
    if (commit.sha) {
      if (!commits.some((c) => c.sha === commit.sha)) commits.push({ sha: commit.sha, step });
      emit('lane.commit.created', `commit ${commit.sha.slice(0, 10)} (${step})`, { sha: commit.sha, step, created: commit.created });
    }
  };

  /**
   * Runs the worktree levels in order; returns the first red, if any. Before the
   * first broad level (package/workspace) the branch is freshened; if that
   * changed it, the run starts over so every level sees the same code.
   */
  const runWorktreeTests = async (pass: number) => {
    for (;;) {
      testRun += 1;
      const attemptKey = `pass-${pass}-run-${testRun}`;
      greenLevel = 'none';
      let restarted = false;
      let red: { level: WorktreeLevel; failed: { name: string; exitCode: number | null; tail: string }[] } | null = null;
      const results: { level: WorktreeLevel; passed: boolean }[] = [];
      for (const level of levelsToRun(packet.acceptance)) {
        if (level !== 'targeted' && !results.some((r) => r.level !== 'targeted') && (await freshen(`${level} tests`)) === 'updated') {
          restarted = true;
          break;
        }
        const r = await withEscalation(`${level} tests`, () =>
          acts.tests.runAcceptance({ laneId, cwd: worktreePath!, level, commands: packet.acceptance[level], timeoutMs: packet.acceptance.timeoutMs, attemptKey }),
        );
        results.push({ level, passed: r.passed });
        if (!r.passed) {
          const failed = r.results.filter((x) => x.exitCode !== 0 || x.timedOut).map((x) => ({ name: x.name, exitCode: x.exitCode, tail: x.tail }));
          emit('lane.red', `${level} tests red: ${failed.map((f) => f.name).join(', ')}`, { level, attemptKey, results: r.results.map(({ tail: _t, ...rest }) => rest) }, 'test');
          red = { level, failed };
          break;
        }
        greenLevel = maxLevel(greenLevel, level);
        emit('lane.green', `${level} tests passed (${r.results.length} command(s))`, { level, attemptKey });
      }
      if (restarted) continue;
      // Red on a stale branch is re-run after merge-forward before it counts as a regression;
      // green is re-checked on a fresh branch before landing.
      const fresh = await freshen(red ? 'counting red tests' : 'landing');
      if (fresh === 'updated') continue;
      return { reached: reachedLevel(results), red };
    }
  };

  const closeout = async () => {
    const out = { worktreeRemoved: false, branchDeleted: false, keptReason: undefined as string | undefined, mcpStopped: 0, mcpSurvivors: [] as number[] };
    const mcp = Object.keys(packet.mcp.servers).length > 0 ? await acts.misc.stopMcp({ laneId }) : null;
    if (mcp) Object.assign(out, { mcpStopped: mcp.stopped, mcpSurvivors: mcp.survivors });
    await acts.git.removeCandidate({ laneId, repoPath });
    if (worktreePath) {
      const c = await acts.git.closeout({ laneId, repoPath, worktreePath, branch, target, force: false });
      Object.assign(out, c);
    }
    const what = !worktreePath ? 'no worktree was created' : out.worktreeRemoved ? 'worktree removed' : 'worktree kept';
    emit('lane.closeout', `${what}${out.keptReason ? `; ${out.keptReason}` : ''}`, { ...out });
    return out;
  };

  const finalReport = (): LaneReport => {
    const finishedAt = new Date();
    return {
      schema: 'lanes.report/v1',
      laneId,
      packetId: packet.id,
      state,
      greenLevel,
      failureClass,
      detail,
      provider: { name: packet.agent.provider, model: packet.agent.model, scripted },
      repo: repoPath,
      branch,
      target,
      worktreePath,
      commits,
      mergeCommit,
      landed,
      usage,
      timings: { startedAt: startedAt.toISOString(), finishedAt: finishedAt.toISOString(), durationMs: finishedAt.getTime() - startedAt.getTime() },
      events: events.length,
    };
  };

  const main = async (): Promise<string> => {
    if (!resume) await prepareLane();
    for (;;) {
      await runAgentPass(loop.pass, loop.extraPrompt);
      const { red } = await runWorktreeTests(loop.pass);
      await flush();
      if (!red) break;
      const decision = decideAfterRed(loop.recoveries, packet.escalation.recoveryAttempts);
      const prompt = fixupPrompt(red.level, red.failed);
      if (decision.action === 'recover') {
        loop.recoveries += 1;
        emit('lane.recovery.attempted', `recovery ${loop.recoveries}: one fix-up turn with the failing ${red.level} output`, { recipe: decision.recipe, level: red.level, attempt: loop.recoveries }, 'test');
      } else {
        await escalate('test', `${red.level} tests still red after ${loop.recoveries} recovery attempt(s)`, { data: { failingTail: failingTail(red.failed) } });
      }
      loop.extraPrompt = prompt;
      loop.pass += 1;
    }
    return land();
  };

  /**
   * Starts the lane's MCP servers (the activity already restarted each failing one
   * once: that is the recovery). A failed required server blocks; --retry starts
   * them afresh, --abort fails the lane. History gets a trimmed report; the full
   * one is mcp-report.json in the lane folder.
   */
  const startMcpServers = async () => {
    for (;;) {
      const report = await acts.misc.startMcp({ laneId, servers: packet.mcp.servers });
      // Same shape as the report, minus descriptions: tool texts can be kilobytes per server.
      const brief = {
        healthy: report.healthy.map((h) => ({ name: h.name, tools: h.tools.map((t) => ({ name: t.name })), resources: h.resources.map((r) => ({ uri: r.uri })), serverInfo: h.serverInfo })),
        failed: report.failed,
        degraded: report.degraded,
      };
      const data = { report: brief, reportFile: 'mcp-report.json' };
      if (report.failed.length === 0) emit('lane.mcp.ready', `${report.healthy.length} MCP server(s) ready`, data);
      else emit('lane.mcp.degraded', `MCP degraded: ${report.failed.map((f) => `${f.name} (${f.failure_mode})`).join(', ')} failed`, data);
      const required = requiredFailures(report, packet.mcp.servers);
      if (required.length === 0) return;
      const first = report.failed.find((f) => f.name === required[0])!;
      if ((first.attempts ?? 0) > 1) {
        emit('lane.recovery.attempted', `MCP server ${first.name} was restarted once at start; still failing (${first.failure_mode})`, { recipe: 'restart_mcp', server: first.name, attempts: first.attempts }, first.class);
      }
      await escalate(first.class, `required MCP server ${first.name} failed: ${first.message}`);
      // Retry: drop the session so the next start spawns every server afresh.
      await acts.misc.stopMcp({ laneId });
    }
  };

  /** Trust gate, worktree, MCP servers: everything before the first prompt. */
  const prepareLane = async () => {
    // Trust gate: nothing reaches a model before the repo is trusted.
    const trust = await acts.misc.checkTrust({ repoPath });
    if (!trust.trusted) {
      setState('trust_required', 'lane.trust_required', `${repoPath} is outside the trusted roots; waiting for \`lanes trust ${laneId}\``, { repoPath, trustedRoots: trust.trustedRoots }, 'trust_gate');
      await flush();
      const ok = await condition(() => trusted, packet.escalation.timeoutMs);
      if (!ok) throw new LaneStop('trust_gate', `not trusted within ${packet.escalation.timeoutMs} ms`);
      emit('lane.trust_resolved', `trusted by operator`, { repoPath });
    }

    const wt = await acts.git.prepareWorktree({ laneId, repoPath, baseBranch: packet.repo.baseBranch, branch });
    worktreePath = wt.worktreePath;
    setState('ready_for_prompt', 'lane.ready', `worktree ${wt.worktreePath} on ${wt.branch} from ${wt.baseCommit.slice(0, 10)}`, { ...wt });

    if (Object.keys(packet.mcp.servers).length > 0) await startMcpServers();
    await flush();
  };

  /** Landing (DESIGN.md "Landing a lane"): candidate from the target head, test it, fast-forward only. */
  const land = async (): Promise<string> => {
    const landing = decideLanding(packet, greenLevel);
    if (!landing.land) {
      if (packet.merge.mode === 'none') return `finished at green level ${greenLevel} without merging (${landing.reason})`;
      throw new LaneStop('test', `not merged: ${landing.reason}`);
    }

    // Scoped diff: every changed file (bash writes included) must be inside the write manifest.
    const scope = await acts.git.scopeCheck({ laneId, worktreePath: worktreePath!, base: packet.repo.baseBranch, writeManifest: packet.scope.writeManifest });
    if (scope.outside.length > 0) {
      throw new LaneStop('manifest', `not merged: ${scope.outside.length} changed file(s) outside scope.writeManifest: ${scope.outside.slice(0, 10).join(', ')}`);
    }

    // Review gate: a person approves the tested diff before it lands.
    while (packet.merge.requireReview) {
      const r = await escalate('validator', `review required before merging ${branch} into ${target} (${scope.changed.length} file(s) changed)`, {
        approvable: true,
        recommended: `review the diff of ${branch} against ${target}, then \`lanes resolve ${laneId} --approve\` (or --abort)`,
      });
      if (r.action === 'approve') break;
    }

    for (let attempt = 1; ; attempt++) {
      const candidate = await acts.git.prepareCandidate({
        laneId,
        repoPath,
        branch,
        target,
        mode: packet.merge.mode as 'merge' | 'squash' | 'ff_only',
        message: `Merge ${branch}: ${packet.objective.split('\n')[0]!.slice(0, 60)}`,
        author: packet.commit.author,
      });
      if (candidate.alreadyLanded) {
        landed = true;
        greenLevel = 'merge_ready';
        break;
      }
      if (candidate.conflict) {
        const r = await escalate('merge_conflict', `merging ${branch} into ${target} conflicts`);
        if (r.action === 'retry') continue;
      }
      const check = await acts.tests.runAcceptance({
        laneId,
        cwd: candidate.candidatePath,
        level: 'merge_ready',
        commands: candidateCommands(packet.acceptance),
        timeoutMs: packet.acceptance.timeoutMs,
        attemptKey: `land-${attempt}`,
      });
      if (!check.passed) {
        emit('lane.red', `merge_ready tests red on the candidate (${target} at ${candidate.targetHead.slice(0, 10)})`, { level: 'merge_ready', attempt }, 'test');
        await acts.git.removeCandidate({ laneId, repoPath });
        throw new LaneStop('test', `merge_ready tests failed on the merge candidate; ${target} unchanged`);
      }
      greenLevel = 'merge_ready';
      emit('lane.green', `merge_ready tests passed on the candidate`, { level: 'merge_ready', attempt });
      emit('lane.merge.ready', `candidate ${candidate.candidateHead.slice(0, 10)} ready to fast-forward ${target}`, { candidateHead: candidate.candidateHead, targetHead: candidate.targetHead });
      const adv = await acts.git.advanceTarget({ laneId, repoPath, target, candidateHead: candidate.candidateHead, expectedTargetHead: candidate.targetHead });
      if (adv.landed) {
        landed = true;
        mergeCommit = candidate.candidateHead;
        break;
      }
      if (adv.reason === 'target_moved' && attempt < 3) {
        emit('branch.stale_against_main', `${target} moved during landing; rebuilding the candidate`, { attempt });
        continue;
      }
      throw new LaneStop(adv.reason === 'target_dirty' ? 'workspace_mismatch' : 'branch_divergence', `could not fast-forward ${target}: ${adv.reason}`);
    }
    emit('lane.merged', `landed on ${target}${mergeCommit ? ` at ${mergeCommit.slice(0, 10)}` : ' (already landed)'}`, { target, mergeCommit, mode: packet.merge.mode });
    return `finished: merged into ${target} at green level merge_ready`;
  };

  let failure: { cls: FailureClass; message: string } | null = null;
  let cancelled = false;
  let finishText = '';
  try {
    finishText = await main();
  } catch (err) {
    // Continue-as-new is not an end: no closeout, no terminal event.
    if (err instanceof ContinueAsNew) throw err;
    if (isCancellation(err)) {
      cancelled = true;
      failure = { cls: 'cancelled', message: 'lane cancelled on request' };
    } else if (err instanceof LaneStop) failure = { cls: err.failureClass, message: err.message };
    else failure = { cls: classifyFailure(err), message: (err as Error).message ?? String(err) };
  }

  // Closeout runs even after cancellation; it must not be cancelled itself.
  await CancellationScope.nonCancellable(async () => {
    if (failure) {
      failureClass = failure.cls;
      if (cancelled) emit('lane.cancelled', failure.message, {}, 'cancelled');
    }
    try {
      await closeout();
    } catch (e) {
      emit('lane.closeout', `closeout incomplete: ${(e as Error).message}`, {}, classifyFailure(e));
    }
    // The terminal event comes last, after closeout, so it is the lane's final word.
    if (failure) setState('failed', 'lane.failed', failure.message, { greenLevel }, failure.cls);
    else setState('finished', 'lane.finished', finishText, { greenLevel, landed, mergeCommit });
    report = finalReport();
    await flush();
    await acts.misc.writeReport({ laneId, report });
    // Let the last deliveries land, but never hold the lane's end for long.
    if (webhooks.length) await Promise.race([Promise.all(webhooks), sleep('30s')]);
  });

  if (failure) {
    // A CancelledFailure marks the run Canceled in Temporal. The SDK drops a cancelled
    // run's details, so clients read the report from the `state` query (or report.json).
    if (cancelled) throw new CancelledFailure(failure.message);
    throw laneFailure(failure.cls, failure.message, { report });
  }
  return report!;
}
