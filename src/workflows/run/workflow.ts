// runWorkflow: a plan of many packets as one durable run (docs/runs.md). Batches from the
// pure scheduler run as child lanes that land on the integration branch; after each batch
// the doctor runs on the integration head and the target fast-forwards to exactly that
// commit, unless a gate (canary, doctor, budget) blocked. Wiring only: scheduling lives in
// scheduler.ts, the budget in budget.ts.
import {
  CancellationScope,
  CancelledFailure,
  executeChild,
  isCancellation,
  ParentClosePolicy,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { LANE_BRANCH, LANE_PACKET_ID, LANE_REPO, LANE_RUN_ID, LANE_STATE } from '../../shared/search-attributes.js';
import type { LanesActivities } from '../../worker/activities.js';
import { classifyFailure, type FailureClass, failureDetails, laneFailure } from '../../failures.js';
import type { LaneReport } from '../lane/api.js';
import { laneStaticDetails } from '../lane/details.js';
import { laneWorkflow } from '../lane/workflow.js';
import type { ReusedTask, RunInput, RunReport, RunState, RunTaskState } from './api.js';
import { runEventsQuery, runPlanQuery, runStateQuery } from './api.js';
import { budgetExceeded, laneBudget, NO_USAGE, type RunUsage, sumUsage } from './budget.js';
import { RUN_EVENT_SCHEMA_ID, type RunEvent, type RunEventType } from './events.js';
import { nextTasks, type TaskStatus } from './scheduler.js';

const acts = proxyActivities<LanesActivities>({ startToCloseTimeout: '2m', retry: { initialInterval: '1s', maximumAttempts: 5 } });

/** A gate that stops new lanes and holds the target where it is. */
interface Gate {
  class: FailureClass;
  detail: string;
}

export async function runWorkflow(input: RunInput): Promise<RunReport> {
  const { runId, plan } = input;
  const startedAt = new Date();
  const doctorActs = proxyActivities<LanesActivities>({
    startToCloseTimeout: plan.doctor.timeoutMs * plan.doctor.commands.length + 120_000,
    heartbeatTimeout: '30s',
    retry: { initialInterval: '1s', maximumAttempts: 5 },
  });

  const reuse = new Map<string, ReusedTask>((input.reuse ?? []).map((r) => [r.fingerprint, r]));
  const tasks: RunTaskState[] = plan.tasks.map((t) => ({
    taskId: t.id,
    laneId: `${runId}.${t.id}`,
    fingerprint: t.fingerprint,
    status: 'pending',
    batch: null,
    dependsOn: t.dependsOn,
    reason: null,
    failureClass: null,
    greenLevel: null,
    mergeCommit: null,
    usage: { ...NO_USAGE },
    startedAt: null,
    endedAt: null,
    reusedFrom: null,
  }));
  const byId = new Map(tasks.map((t) => [t.taskId, t]));
  const events: RunEvent[] = [];
  let flushedSeq = 0;
  // Widened: handlers and helpers change it, which narrowing cannot see.
  let state = 'running' as RunState;
  let gate: Gate | null = null;
  // Read through a function: steps awaited in between may set it, which narrowing cannot see.
  const gated = (): Gate | null => gate;
  let detail = '';
  let failureClass: FailureClass | null = null;
  let targetStart: string | null = null;
  let targetHead: string | null = null;
  let integrationHead: string | null = null;
  let advanced = false;
  let batches = 0;
  let budgetWarned = false;
  let finishedAt: Date | null = null;
  // Usage per lane: each lane's own final totals, so nothing is counted twice.
  const laneUsage: Record<string, RunUsage> = {};

  const report = (): RunReport => {
    const end = finishedAt ?? new Date();
    return {
      schema: 'lanes.run-report/v1',
      runId,
      planId: plan.id,
      state,
      failureClass,
      detail,
      repo: plan.repoPath,
      target: plan.target,
      integrationBranch: plan.integrationBranch,
      targetStart,
      targetHead,
      integrationHead,
      advanced,
      gate,
      tasks: tasks.map((t) => ({ ...t })),
      usage: sumUsage(laneUsage),
      batches,
      resumedFrom: input.resumedFrom ?? null,
      timings: { startedAt: startedAt.toISOString(), finishedAt: finishedAt?.toISOString() ?? null, durationMs: end.getTime() - startedAt.getTime() },
      events: events.length,
    };
  };

  const emit = (type: RunEventType, text: string, data: Record<string, unknown> = {}, at: { task?: RunTaskState; batch?: number; cls?: FailureClass } = {}) => {
    events.push({
      schema: RUN_EVENT_SCHEMA_ID,
      seq: events.length + 1,
      ts: new Date().toISOString(),
      runId,
      type,
      ...(at.task ? { taskId: at.task.taskId, laneId: at.task.laneId } : {}),
      ...(at.batch !== undefined ? { batch: at.batch } : {}),
      ...(at.cls ? { failureClass: at.cls } : {}),
      detail: text,
      data,
    });
    detail = text;
    const count = (s: TaskStatus) => tasks.filter((t) => t.status === s).length;
    const u = sumUsage(laneUsage);
    setCurrentDetails(
      `**run ${runId}** · ${state} · batch ${batches}\n\n` +
        `landed ${count('landed') + count('reused')}/${tasks.length} · running ${count('running')} · failed ${count('failed')} · skipped ${count('skipped')} · pending ${count('pending')}\n\n` +
        `tokens ${u.inputTokens + u.outputTokens} · cost $${u.costUsd.toFixed(4)}\n\n` +
        `${plan.integrationBranch} -> ${plan.target}${gate ? ` · held: ${gate.class} — ${gate.detail}` : ''}\n\nlast: ${type} — ${text}`,
    );
  };

  const flush = async () => {
    const pending = events.filter((e) => e.seq > flushedSeq);
    if (pending.length === 0) return;
    await acts.recordRunEvents({ runId, events: pending });
    flushedSeq = pending[pending.length - 1]!.seq;
  };

  setHandler(runStateQuery, report);
  setHandler(runEventsQuery, (afterSeq = 0) => events.filter((e) => e.seq > afterSeq));
  setHandler(runPlanQuery, () => plan);
  upsertSearchAttributes([{ key: LANE_RUN_ID, value: runId }]);

  const checkBudget = () => {
    const over = budgetExceeded(plan.budget, sumUsage(laneUsage), Date.now() - startedAt.getTime());
    if (over.length === 0) return;
    const u = sumUsage(laneUsage);
    const data = { over, usage: u, budget: plan.budget };
    if (plan.budget.mode === 'warn') {
      if (!budgetWarned) emit('budget.warn', `run budget reached: ${over.join(', ')}; going on (mode warn)`, data, { cls: 'budget' });
      budgetWarned = true;
    } else if (!gate || gate.class !== 'budget') {
      gate ??= { class: 'budget', detail: `run budget reached: ${over.join(', ')}` };
      emit('budget.block', `run budget reached: ${over.join(', ')}; no new lanes, ${plan.target} is not advanced`, data, { cls: 'budget' });
    }
  };

  /** One task as a child lane landing on the integration branch. */
  const runTask = async (t: RunTaskState, batch: number) => {
    const planned = plan.tasks.find((p) => p.id === t.taskId)!;
    t.status = 'running';
    t.batch = batch;
    t.startedAt = new Date().toISOString();
    const branch = `lanes/${t.laneId}`;
    const packet = {
      ...planned.packet,
      id: t.laneId,
      repo: { ...planned.packet.repo, baseBranch: plan.integrationBranch },
      branch: { ...planned.packet.branch, name: branch },
      merge: { ...planned.packet.merge, target: plan.integrationBranch },
      budget: laneBudget(plan.budget, planned.packet.budget, sumUsage(laneUsage), Date.now() - startedAt.getTime()),
    };
    emit('task.started', `task ${t.taskId} started as lane ${t.laneId}`, { branch, budget: packet.budget, locks: planned.locks }, { task: t, batch });
    await flush();
    let lane: LaneReport | undefined;
    let cls: FailureClass | null = null;
    let why = '';
    try {
      lane = await executeChild(laneWorkflow, {
        workflowId: `lane-${t.laneId}`,
        args: [{ laneId: t.laneId, packet, fingerprint: t.fingerprint, ...(input.historyEventLimit ? { historyEventLimit: input.historyEventLimit } : {}), ...(input.rehomeAfterMs ? { rehomeAfterMs: input.rehomeAfterMs } : {}) }],
        // Cancelling or terminating the run asks its lanes to cancel: they still close out.
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
        memo: { fingerprint: t.fingerprint, packetId: t.laneId, runId, taskId: t.taskId, objective: planned.packet.objective.slice(0, 200) },
        typedSearchAttributes: [
          { key: LANE_RUN_ID, value: runId },
          { key: LANE_PACKET_ID, value: t.laneId },
          { key: LANE_STATE, value: 'spawning' },
          { key: LANE_REPO, value: plan.repoPath },
          { key: LANE_BRANCH, value: branch },
        ],
        staticSummary: `run ${runId} task ${t.taskId}: ${planned.packet.objective.split('\n')[0]!.slice(0, 100)}`,
        staticDetails: laneStaticDetails(packet, input.boardUrl),
      });
    } catch (err) {
      const details = failureDetails(err) as { report?: LaneReport };
      lane = details.report;
      cls = classifyFailure(err);
      why = lane?.detail ?? (err as Error).message ?? String(err);
      if (isCancellation(err) && CancellationScope.current().consideredCancelled) {
        Object.assign(t, { status: 'failed', failureClass: 'cancelled', reason: 'run cancelled', endedAt: new Date().toISOString() });
        if (lane) laneUsage[t.laneId] = lane.usage;
        throw err;
      }
    }
    t.endedAt = new Date().toISOString();
    if (lane) {
      laneUsage[t.laneId] = lane.usage;
      t.usage = lane.usage;
      t.greenLevel = lane.greenLevel;
    }
    if (lane?.landed && !cls) {
      t.status = 'landed';
      t.mergeCommit = lane.mergeCommit;
      emit('task.landed', `task ${t.taskId} landed on ${plan.integrationBranch}${lane.mergeCommit ? ` at ${lane.mergeCommit.slice(0, 10)}` : ''}`, { mergeCommit: lane.mergeCommit, usage: lane.usage }, { task: t, batch });
    } else {
      t.status = 'failed';
      t.failureClass = cls ?? lane?.failureClass ?? 'test';
      t.reason = why || lane?.detail || 'the lane ended without landing';
      emit('task.failed', `task ${t.taskId} did not land: ${t.reason}`, { usage: lane?.usage ?? null }, { task: t, batch, cls: t.failureClass });
    }
    checkBudget();
    await flush();
  };

  /** Doctor on the integration head, then fast-forward the target to exactly that commit. */
  const integrate = async (key: string, batch?: number) => {
    const at = batch !== undefined ? { batch } : {};
    const doctor = await doctorActs.runDoctor({ runId, repoPath: plan.repoPath, integrationBranch: plan.integrationBranch, commands: plan.doctor.commands, timeoutMs: plan.doctor.timeoutMs, canary: false, attemptKey: key });
    integrationHead = doctor.head;
    const results = doctor.results.map(({ tail: _t, ...r }) => r);
    if (!doctor.passed) {
      gate = { class: 'test', detail: `doctor red on ${plan.integrationBranch} at ${doctor.head.slice(0, 10)}: ${doctor.summary}` };
      emit('doctor.failed', gate.detail, { head: doctor.head, results, tail: doctor.results.at(-1)?.tail ?? '' }, { ...at, cls: 'test' });
      emit('integration.held', `${plan.target} stays at ${targetHead?.slice(0, 10)}: the doctor failed`, { targetHead }, at);
      return;
    }
    emit('doctor.passed', `doctor passed on ${plan.integrationBranch} at ${doctor.head.slice(0, 10)}`, { head: doctor.head, results }, at);
    if (doctor.head === targetHead) return;
    const adv = await acts.advanceRunTarget({ runId, repoPath: plan.repoPath, target: plan.target, head: doctor.head, expectedTargetHead: targetHead! });
    if (adv.landed) {
      const from = targetHead;
      targetHead = adv.targetHead;
      advanced = true;
      emit('integration.advanced', `${plan.target} fast-forwarded ${from?.slice(0, 10)} -> ${adv.targetHead.slice(0, 10)}`, { from, to: adv.targetHead }, at);
    } else {
      gate = {
        class: adv.reason === 'target_dirty' ? 'workspace_mismatch' : 'branch_divergence',
        detail: adv.reason === 'target_dirty' ? `${plan.target} has uncommitted changes in its checkout` : `${plan.target} moved outside the run (now ${adv.targetHead.slice(0, 10)})`,
      };
      emit('integration.held', `${plan.target} not advanced: ${gate.detail}`, { reason: adv.reason, targetHead: adv.targetHead }, { ...at, cls: gate.class });
    }
  };

  const main = async () => {
    if (input.resumedFrom) emit('run.resumed', `run ${runId} resumes ${input.resumedFrom}: ${reuse.size} landed task(s) to reuse`, { resumedFrom: input.resumedFrom });
    emit('run.started', `run ${runId}: ${tasks.length} task(s) on ${plan.repoPath}, ${plan.integrationBranch} -> ${plan.target}`, {
      planId: plan.id,
      maxParallel: plan.maxParallel,
      budget: plan.budget,
      tasks: tasks.map((t) => ({ taskId: t.taskId, laneId: t.laneId, dependsOn: t.dependsOn })),
    });
    for (const t of tasks) {
      const r = reuse.get(t.fingerprint);
      if (!r) continue;
      Object.assign(t, { status: 'reused', laneId: r.laneId, reusedFrom: r.fromRun });
      emit('task.reused', `task ${t.taskId} already landed in ${r.fromRun} (lane ${r.laneId}); not run again`, { fromRun: r.fromRun }, { task: t });
    }
    const integ = await acts.prepareIntegration({ repoPath: plan.repoPath, target: plan.target, integrationBranch: plan.integrationBranch });
    targetStart = targetHead = integ.targetHead;
    integrationHead = integ.integrationHead;

    // The canary: a doctor that passes with LANES_CANARY=1 cannot fail, so it proves nothing.
    const canary = await doctorActs.runDoctor({ runId, repoPath: plan.repoPath, integrationBranch: plan.integrationBranch, commands: plan.doctor.commands, timeoutMs: plan.doctor.timeoutMs, canary: true, attemptKey: 'canary' });
    if (canary.passed) {
      gate = { class: 'validator', detail: 'the doctor passed with LANES_CANARY=1: it cannot fail, so it proves nothing; refusing to integrate' };
      emit('canary.passed', gate.detail, { head: canary.head }, { cls: 'validator' });
    } else emit('canary.failed_as_expected', `the doctor fails under LANES_CANARY=1 (${canary.summary}), so it can catch a broken integration`, { head: canary.head });
    await flush();

    let unintegrated = reuse.size > 0 && integ.integrationHead !== integ.targetHead;
    while (!gated()) {
      checkBudget();
      if (gated()) break;
      const decision = nextTasks({ tasks: plan.tasks, status: Object.fromEntries(tasks.map((t) => [t.taskId, t.status])), maxParallel: plan.maxParallel });
      for (const s of decision.skip) {
        const t = byId.get(s.taskId)!;
        Object.assign(t, { status: 'skipped', reason: s.reason });
        emit('task.skipped', `task ${t.taskId} skipped: ${s.reason}`, { dependency: s.dependency }, { task: t });
      }
      if (decision.start.length === 0) break;
      batches += 1;
      const batch = batches;
      emit('batch.started', `batch ${batch}: ${decision.start.join(', ')}`, { tasks: decision.start }, { batch });
      await Promise.all(decision.start.map((id) => runTask(byId.get(id)!, batch)));
      const landed = decision.start.filter((id) => byId.get(id)!.status === 'landed');
      emit('batch.finished', `batch ${batch}: ${landed.length}/${decision.start.length} landed`, { landed }, { batch });
      if (landed.length > 0) unintegrated = true;
      const held = gated();
      if (unintegrated && !held) {
        await integrate(`batch-${batch}`, batch);
        unintegrated = !!gated();
      } else if (unintegrated && held) {
        emit('integration.held', `${plan.target} not advanced: ${held.class} — ${held.detail}`, { targetHead }, { batch, cls: held.class });
      }
      await flush();
    }
    if (unintegrated && !gated()) await integrate('final');
  };

  let cancelled = false;
  try {
    await main();
  } catch (err) {
    if (isCancellation(err)) cancelled = true;
    else {
      gate ??= { class: classifyFailure(err), detail: `run stopped: ${(err as Error).message ?? String(err)}` };
    }
  }

  await CancellationScope.nonCancellable(async () => {
    for (const t of tasks) {
      if (t.status === 'running') {
        // Only a cancel leaves a lane running here; the lane got the cancel request too.
        Object.assign(t, { status: 'failed', failureClass: 'cancelled', reason: 'run cancelled while the lane ran', endedAt: new Date().toISOString() });
        emit('task.failed', `task ${t.taskId} cancelled with the run`, {}, { task: t, cls: 'cancelled' });
      } else if (t.status === 'pending') {
        const reason = cancelled ? 'run cancelled' : gate ? `not started: ${gate.class} — ${gate.detail}` : 'not started';
        Object.assign(t, { status: 'skipped', reason });
        emit('task.skipped', `task ${t.taskId} skipped: ${reason}`, {}, { task: t });
      }
    }
    const done = tasks.every((t) => t.status === 'landed' || t.status === 'reused');
    finishedAt = new Date();
    if (cancelled) {
      state = 'cancelled';
      failureClass = 'cancelled';
      emit('run.cancelled', `run ${runId} cancelled; ${plan.target} at ${targetHead?.slice(0, 10) ?? '?'}`, { targetHead }, { cls: 'cancelled' });
    } else if (gate || !done) {
      state = 'failed';
      failureClass = gate?.class ?? tasks.find((t) => t.status === 'failed')?.failureClass ?? 'test';
      const notLanded = tasks.filter((t) => t.status !== 'landed' && t.status !== 'reused').map((t) => `${t.taskId} ${t.status}`);
      emit('run.failed', gate ? `run ${runId} held: ${gate.detail}` : `run ${runId}: not every task landed (${notLanded.join(', ')})`, { targetHead, integrationHead, advanced }, { cls: failureClass });
    } else {
      state = 'finished';
      emit('run.finished', `run ${runId}: all ${tasks.length} task(s) landed; ${plan.target} at ${targetHead?.slice(0, 10)}`, { targetHead, integrationHead, advanced });
    }
    await flush();
    await acts.writeRunReport({ runId, report: report() });
  });

  const final = report();
  if (cancelled) throw new CancelledFailure(`run ${runId} cancelled`);
  if (state === 'failed') throw laneFailure(failureClass ?? 'test', detail, { report: final });
  return final;
}
