// Run operations shared by the run, board and clean commands: start (idempotent by run id
// and plan content), wait for the report, follow events, read a run's state.
import { createHash } from 'node:crypto';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { temporalClient } from './temporal-sdk.js';

const { CancelledFailure, WorkflowExecutionAlreadyStartedError, WorkflowFailedError, WorkflowNotFoundError } = temporalClient;
import { LanesError } from '../errors.js';
import { canonicalJson } from '../packet/fingerprint.js';
import type { ResolvedPlan } from '../packet/plan-parse.js';
import { boardRunUrl } from '../shared/board-links.js';
import { LANE_REPO, LANE_RUN_ID } from '../shared/search-attributes.js';
import { type ReusedTask, type RunReport, runEventsQuery, runStateQuery } from '../workflows/run/api.js';
import type { RunEvent } from '../workflows/run/events.js';
import { runWorkflow } from '../workflows/run/workflow.js';
import { markdownText } from '../workflows/summary.js';

export function runWorkflowId(run: string): string {
  return run.startsWith('run-') ? run : `run-${run}`;
}

export function runIdOf(run: string): string {
  return run.startsWith('run-') ? run.slice('run-'.length) : run;
}

export function runHandle(client: Client, run: string): WorkflowHandle<typeof runWorkflow> {
  return client.workflow.getHandle<typeof runWorkflow>(runWorkflowId(run));
}

export interface StartRunResult {
  runId: string;
  workflowId: string;
  attached: boolean;
}

export async function startRun(
  client: Client,
  taskQueue: string,
  plan: ResolvedPlan,
  opts: { runId?: string; reuse?: ReusedTask[]; resumedFrom?: string; historyEventLimit?: number; rehomeAfterMs?: number; boardUrl?: string } = {},
): Promise<StartRunResult> {
  const runId = opts.runId ?? plan.id;
  const workflowId = runWorkflowId(runId);
  const fingerprint = createHash('sha256').update(canonicalJson({ plan, reuse: opts.reuse ?? [] })).digest('hex');
  const check = async (): Promise<StartRunResult | undefined> => {
    let memo: Record<string, unknown> | undefined;
    try {
      memo = (await client.workflow.getHandle(workflowId).describe()).memo;
    } catch (e) {
      if (e instanceof WorkflowNotFoundError) return undefined;
      throw e;
    }
    if (memo?.fingerprint !== fingerprint) {
      throw new LanesError('conflict', `run id "${runId}" is already used by ${workflowId} with a different plan`, 'Start the identical plan to attach to that run, give the plan a new id, or `lanes run resume` a finished one.');
    }
    return { runId, workflowId, attached: true };
  };
  const existing = await check();
  if (existing) return existing;
  try {
    await client.workflow.start(runWorkflow, {
      taskQueue,
      workflowId,
      args: [{ runId, plan, ...(opts.reuse ? { reuse: opts.reuse } : {}), ...(opts.resumedFrom ? { resumedFrom: opts.resumedFrom } : {}), ...(opts.historyEventLimit ? { historyEventLimit: opts.historyEventLimit } : {}), ...(opts.rehomeAfterMs ? { rehomeAfterMs: opts.rehomeAfterMs } : {}), ...(opts.boardUrl ? { boardUrl: opts.boardUrl } : {}) }],
      // A run id is used once: never re-run a closed run, attach to a running one.
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      workflowIdConflictPolicy: 'FAIL',
      memo: { fingerprint, planId: plan.id, tasks: plan.tasks.length },
      // LaneRepo too, so the board's repo filter finds runs as it finds lanes.
      typedSearchAttributes: [
        { key: LANE_RUN_ID, value: runId },
        { key: LANE_REPO, value: plan.repoPath },
      ],
      staticSummary: `run ${runId}: ${plan.tasks.length} task(s), ${plan.integrationBranch} -> ${plan.target}`,
      staticDetails: runStaticDetails(runId, plan, opts),
    });
    return { runId, workflowId, attached: false };
  } catch (e) {
    if (e instanceof WorkflowExecutionAlreadyStartedError) {
      const again = await check();
      if (again) return again;
    }
    throw e;
  }
}

/** The run's Web UI Details: markdown with hard line breaks, and the run's board page. */
export function runStaticDetails(runId: string, plan: ResolvedPlan, opts: { resumedFrom?: string; boardUrl?: string } = {}): string {
  const lines = [
    `repo ${markdownText(plan.repoPath, 300)}`,
    `${markdownText(plan.integrationBranch)} into ${markdownText(plan.target)} · maxParallel ${plan.maxParallel}${opts.resumedFrom ? ` · resumes ${markdownText(opts.resumedFrom)}` : ''}`,
  ];
  if (opts.boardUrl) lines.push(`[run page on the board](${boardRunUrl(opts.boardUrl, runId)})`);
  return lines.join('\\\n');
}

/** The run's workflow status; an unknown run is `not_found` with a hint. */
export async function requireRun(client: Client, run: string): Promise<string> {
  try {
    return (await runHandle(client, run).describe()).status.name;
  } catch (e) {
    if (e instanceof WorkflowNotFoundError) throw new LanesError('not_found', `no run ${runIdOf(run)}: workflow ${runWorkflowId(run)} does not exist`, 'Check the id with `lanes run list`.');
    throw e;
  }
}

/** The run's state: from the live workflow, or (closed) replayed by a worker. */
export async function runState(client: Client, run: string): Promise<RunReport> {
  await requireRun(client, run);
  return runHandle(client, run).query(runStateQuery);
}

/** The final report: the result, the failure's details, or (cancelled) the state query. */
export async function waitForRunReport(client: Client, run: string): Promise<RunReport> {
  const handle = runHandle(client, run);
  try {
    return await handle.result();
  } catch (e) {
    if (e instanceof WorkflowFailedError) {
      const details = (e.cause as { details?: unknown[] } | undefined)?.details?.[0] as { report?: RunReport } | undefined;
      if (details?.report?.runId) return details.report;
      if (e.cause instanceof CancelledFailure) return handle.query(runStateQuery);
    }
    throw e;
  }
}

/** Streams run events (polling) until the run has ended and every event was seen. */
export async function followRunEvents(client: Client, run: string, onEvent: (e: RunEvent) => void, opts: { pollMs?: number } = {}): Promise<void> {
  const handle = runHandle(client, run);
  let after = 0;
  for (;;) {
    const running = (await handle.describe()).status.name === 'RUNNING';
    for (const e of await handle.query(runEventsQuery, after)) {
      onEvent(e);
      after = e.seq;
    }
    if (!running) return;
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 500));
  }
}

/**
 * Landed tasks of an ended run that a resume takes over, by packet fingerprint: every task
 * the run reports landed (or reused), and every lane whose land commit is on the
 * integration branch even if the run ended before it heard back (a cancel mid-landing).
 */
export async function reusableTasks(report: RunReport, landedOnIntegration: (laneId: string) => Promise<boolean>): Promise<ReusedTask[]> {
  const out: ReusedTask[] = [];
  for (const t of report.tasks) {
    const done = t.status === 'landed' || t.status === 'reused' || (t.status === 'failed' && (await landedOnIntegration(t.laneId)));
    if (done) out.push({ taskId: t.taskId, fingerprint: t.fingerprint, laneId: t.laneId, fromRun: t.reusedFrom ?? report.runId });
  }
  return out;
}

/** `<planId>-r<n>`: the next resume of a run. */
export function resumeRunId(planId: string, previousRunId: string): string {
  const m = new RegExp(`^${planId.replace(/[-]/g, '\\-')}-r(\\d+)$`).exec(previousRunId);
  const n = m ? Number(m[1]) + 1 : 2;
  if (n > 99) throw new LanesError('conflict', `run ${planId} was resumed 98 times already`, 'Give the plan a new id.');
  return `${planId}-r${n}`;
}
