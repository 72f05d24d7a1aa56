// Steering a running lane, the workflow side: operator messages wait in the inbox
// until the agent's next turn boundary; a tool call the approval rules hold waits
// here, in the workflow (durable across worker crashes), for `lanes approve` or
// `lanes deny`. Both arrive only as validated updates through the control API.
import { allHandlersFinished, condition, continueAsNew, setHandler } from '@temporalio/workflow';
import { isTerminal } from '../state.js';
import { type ApprovalDecision, approvalUpdate, type LaneInput, type LaneReport, MAX_MESSAGE_CHARS, type QueuedMessage, type RestartRequest, restartUpdate, sendUpdate } from './api.js';
import { escalate } from './escalation.js';
import type { LaneRun } from './run.js';

/** Characters of an operator message copied into its events (the whole text goes to the agent). */
const EVENT_TEXT_CHARS = 2_000;

export function installSteeringHandlers(run: LaneRun): void {
  installRestartHandler(run);
  setHandler(
    sendUpdate,
    (m) => {
      run.messagesReceived += 1;
      const message = { id: `m${run.messagesReceived}`, text: m.text, by: m.by ?? null, at: new Date().toISOString() };
      run.inbox.push(message);
      run.emit('lane.message.received', `message ${message.id} from ${message.by ?? 'operator'} queued for the agent's next turn`, {
        messageId: message.id,
        by: message.by,
        text: message.text.slice(0, EVENT_TEXT_CHARS),
        chars: message.text.length,
      });
      return { accepted: true as const, messageId: message.id, queued: run.inbox.length };
    },
    {
      validator: (m) => {
        if (isTerminal(run.state) || run.report) throw new Error(`lane ${run.laneId} has ended (${run.state}): a message can no longer reach its agent`);
        if (typeof m?.text !== 'string' || m.text.trim() === '') throw new Error('the message is empty');
        if (m.text.length > MAX_MESSAGE_CHARS) throw new Error(`the message has ${m.text.length} characters; at most ${MAX_MESSAGE_CHARS} are accepted`);
      },
    },
  );
  setHandler(
    approvalUpdate,
    (d) => {
      run.approvalDecision = d;
      return { accepted: true as const, requestId: d.requestId, decision: d.decision };
    },
    {
      validator: (d) => {
        const pending = run.pendingApproval;
        if (!pending) throw new Error(`lane ${run.laneId} has no tool call waiting for approval (it is ${run.state})`);
        if (d?.requestId !== pending.requestId) throw new Error(`lane ${run.laneId} has no approval request ${JSON.stringify(d?.requestId)}; the one waiting is ${pending.requestId}`);
        if (run.approvalDecision) throw new Error(`approval request ${pending.requestId} was already ${run.approvalDecision.decision === 'approve' ? 'approved' : 'denied'}`);
        if (d.decision !== 'approve' && d.decision !== 'deny') throw new Error(`decision must be approve or deny, got ${JSON.stringify(d.decision)}`);
      },
    },
  );
}

/** The commit a restart goes back to: the last checkpoint commit (none yet: the base), or the base. */
function restartTarget(run: LaneRun, from: RestartRequest['from']): string {
  const checkpoint = run.commits.at(-1)?.sha;
  if (from === 'checkpoint' && checkpoint) return checkpoint;
  if (!run.worktreePath) throw new Error(`lane ${run.laneId} has no worktree yet: nothing to restart from`);
  // The commit the lane started from; once continue-as-new has carried it out of the event window, the base branch's head.
  const base = run.events.find((e) => e.type === 'lane.ready')?.data.baseCommit;
  return typeof base === 'string' ? base : run.packet.repo.baseBranch;
}

function installRestartHandler(run: LaneRun): void {
  setHandler(
    restartUpdate,
    (r) => {
      run.restartRequest = r;
      return { accepted: true as const, from: r.from, resetTo: restartTarget(run, r.from) };
    },
    {
      validator: (r) => {
        if (run.state !== 'blocked') throw new Error(`lane ${run.laneId} is ${run.state}, not blocked: only a blocked lane restarts in place`);
        if (r?.from !== 'checkpoint' && r?.from !== 'base') throw new Error(`from must be checkpoint or base, got ${JSON.stringify(r?.from)}`);
        if (run.restartRequest) throw new Error(`lane ${run.laneId} is already restarting`);
        restartTarget(run, r.from);
      },
    },
  );
}

/**
 * `lanes restart` of a blocked lane: the branch and worktree go back to the checkpoint (or
 * the base), and a new run (continue-as-new, same workflow id and lane id, events kept)
 * starts a fresh agent pass with a fresh transcript and fresh recovery attempts. Queued
 * messages and usage carry over; a base restart drops the lane's commits from the record.
 */
export async function restartInPlace(run: LaneRun, r: RestartRequest): Promise<never> {
  const to = restartTarget(run, r.from);
  const { head } = await run.acts.git.resetWorktree({ laneId: run.laneId, worktreePath: run.worktreePath!, to });
  if (r.from === 'base') run.commits = [];
  run.failureClass = null;
  run.greenLevel = 'none';
  run.loop = { pass: run.loop.pass + 1, turnInPass: 0, recoveries: 0, extraPrompt: undefined };
  run.transcriptFrom = run.turn + 1;
  run.setState('running', 'lane.restarted', `restarted from ${r.from === 'base' ? 'the base' : 'the last checkpoint'} ${head.slice(0, 10)}${r.by ? ` by ${r.by}` : ''}${r.note ? `: ${r.note}` : ''}`, {
    from: r.from,
    head,
    by: r.by ?? null,
    note: r.note ?? null,
    pass: run.loop.pass,
    transcriptFrom: run.transcriptFrom,
  });
  run.restartRequest = null;
  await run.flush();
  await condition(allHandlersFinished);
  return continueAsNew<(input: LaneInput) => Promise<LaneReport>>(run.continuedInput());
}

/** Takes the operator messages queued for the agent; each becomes a lane.message.delivered event at `turn`. */
export function takeMessages(run: LaneRun, turn: number): QueuedMessage[] {
  const taken = run.inbox.splice(0, run.inbox.length);
  for (const m of taken) run.emit('lane.message.delivered', `message ${m.id} delivered to the agent at turn ${turn}`, { messageId: m.id, turn });
  return taken;
}

/** The built-in agent's text for messages placed before its next turn (undefined when none). */
export function deliverMessages(run: LaneRun, turn: number): string | undefined {
  const taken = takeMessages(run, turn);
  if (taken.length === 0) return undefined;
  return taken.map((m) => `Message from the operator${m.by ? ` (${m.by})` : ''}, sent while you work:\n${m.text}`).join('\n\n');
}

/** Joins the prompts placed before a turn (a fix-up prompt, operator messages). */
export function joinPrompts(...parts: (string | undefined)[]): string | undefined {
  const present = parts.filter((p): p is string => p !== undefined);
  return present.length ? present.join('\n\n') : undefined;
}

/** What the tool-call activity says about a call the approval rules hold. */
export interface ApprovalAsk {
  tool: string;
  call: string;
  rule: string | null;
}

/**
 * Waits in awaiting_approval for a decision on one tool call. A request not decided
 * within the approvals timeout (default: the escalation timeout) escalates: the lane
 * blocks (class manifest) and `lanes resolve --retry` asks again, `--approve` runs the
 * call, `--abort` ends the lane; an unresolved block then fails by the escalation policy.
 */
export async function awaitApproval(run: LaneRun, ask: ApprovalAsk, where: { turn: number; callId: string; index: number }): Promise<ApprovalDecision> {
  const timeoutMs = run.packet.agent.approvals?.timeoutMs ?? run.packet.escalation.timeoutMs;
  const requestId = `apr-${where.turn}-${where.index}`;
  const lane = run.laneId;
  for (;;) {
    const now = Date.now();
    run.pendingApproval = {
      requestId,
      tool: ask.tool,
      call: ask.call,
      turn: where.turn,
      callId: where.callId,
      rule: ask.rule,
      requestedAt: new Date(now).toISOString(),
      expiresAt: new Date(now + timeoutMs).toISOString(),
    };
    run.approvalDecision = null;
    const recommended = `\`lanes approve ${lane} ${requestId}\` runs the call; \`lanes deny ${lane} ${requestId} --reason "..."\` refuses it`;
    run.setState('awaiting_approval', 'lane.approval.requested', `tool call ${ask.tool} needs approval (${requestId}): ${oneLine(ask.call)}`, { ...run.pendingApproval, recommended });
    await run.flush();
    const decided = await condition(() => run.approvalDecision !== null, timeoutMs);
    run.pendingApproval = null;
    if (decided) {
      const d = run.approvalDecision as unknown as ApprovalDecision;
      const by = d.by ? ` by ${d.by}` : '';
      if (d.decision === 'approve') run.setState('running', 'lane.approval.granted', `${requestId} approved${by}${d.text ? `: ${d.text}` : ''}`, { requestId, tool: ask.tool, by: d.by ?? null, note: d.text ?? null });
      else run.setState('running', 'lane.approval.denied', `${requestId} denied${by}${d.text ? `: ${d.text}` : ''}`, { requestId, tool: ask.tool, by: d.by ?? null, reason: d.text ?? null });
      return d;
    }
    run.emit('lane.approval.timed_out', `${requestId} (${ask.tool}) was not decided within ${timeoutMs} ms`, { requestId, tool: ask.tool, timeoutMs }, 'manifest');
    const r = await escalate(run, 'manifest', `approval ${requestId} for tool call ${ask.tool} was not decided within ${timeoutMs} ms`, {
      approvable: true,
      recommended: '`lanes resolve <lane> --retry` asks for approval again, `--approve` runs the call, `--abort` ends the lane',
      data: { requestId, tool: ask.tool, call: ask.call },
    });
    if (r.action === 'approve') {
      run.emit('lane.approval.granted', `${requestId} approved through lanes resolve${r.note ? `: ${r.note}` : ''}`, { requestId, tool: ask.tool, by: null, note: r.note ?? null });
      return { requestId, decision: 'approve', ...(r.note ? { text: r.note } : {}) };
    }
    // retry: ask again (abort has already ended the lane inside escalate).
  }
}

function oneLine(text: string, max = 200): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}
