// Phase 2, agent: one pass of agent turns (model turn, budget gate, tool calls,
// checkpoint commits), and continue-as-new between turns when history is long.
// External agents (agent.kind other than builtin) run theirs in external-agent.ts.
import { allHandlersFinished, condition, continueAsNew, workflowInfo } from '@temporalio/workflow';
import { failureDetails } from '../../failures.js';
import { DEFAULT_HISTORY_EVENT_LIMIT, type LaneInput, type LaneReport } from './api.js';
import { decide, withRecovery } from './escalation.js';
import type { LaneRun } from './run.js';
import { awaitApproval, deliverMessages, joinPrompts } from './steering.js';

export async function runAgentPass(run: LaneRun, pass: number, extraPrompt?: string): Promise<void> {
  const { packet, laneId } = run;
  for (let i = run.loop.turnInPass; i < packet.agent.maxTurns; i++) {
    run.turn += 1;
    const turn = run.turn;
    // Operator messages (`lanes send`) join the prompt at this turn boundary.
    const prompt = joinPrompts(i === 0 ? extraPrompt : undefined, deliverMessages(run, turn));
    const reply = await withRecovery(
      run,
      'model_turn',
      `model turn ${turn}`,
      ({ compact }) =>
        run.acts.model.modelTurn({
          laneId,
          turn,
          agent: packet.agent,
          objective: packet.objective,
          scopePaths: packet.scope.paths,
          worktreePath: run.worktreePath!,
          extraPrompt: prompt,
          mcpServers: packet.mcp.servers,
          ...(run.transcriptFrom > 1 ? { transcriptFrom: run.transcriptFrom } : {}),
          ...(compact ? { compact: 'all' as const } : {}),
        }),
      (cls, err) => {
        if (cls === 'context_window') {
          const hint = (failureDetails(err).hint as string | undefined) ?? 'compact the transcript or narrow the task';
          run.emit('context_window.blocked', `turn ${turn} does not fit the model's context window: ${hint}`, { turn, hint }, 'context_window');
        }
      },
    );
    await checkBudget(run, turn);
    if (reply.compacted && !run.compactionEmitted) {
      run.compactionEmitted = true;
      run.emit('compaction.applied', `turn ${turn}: older tool outputs compacted to fit the context window`, { turn });
    }
    run.scripted = reply.scripted;
    run.usage.turns += 1;
    run.usage.inputTokens += reply.usage.inputTokens;
    run.usage.outputTokens += reply.usage.outputTokens;
    run.usage.costUsd += reply.costUsd;
    if (!run.promptAccepted) {
      run.promptAccepted = true;
      run.setState('prompt_accepted', 'lane.prompt_accepted', `prompt accepted by ${reply.provider}${reply.scripted ? ' (scripted)' : ''} ${reply.model}`, {
        provider: reply.provider,
        model: reply.model,
        scripted: reply.scripted,
      });
      run.setState('running', 'lane.turn.completed', `turn ${turn}: ${reply.toolCalls.length} tool call(s)`, { turn, pass, usage: reply.usage });
    } else {
      run.emit('lane.turn.completed', `turn ${turn}: ${reply.toolCalls.length} tool call(s)`, { turn, pass, usage: reply.usage });
    }
    // A message that arrived during the turn gets a turn of its own before the pass ends.
    if (reply.toolCalls.length === 0 && run.inbox.length === 0) break;
    for (const [index, call] of reply.toolCalls.entries()) {
      const callInput = {
        laneId,
        worktreePath: run.worktreePath!,
        turn,
        callId: call.id,
        permissionMode: packet.agent.permissionMode,
        sandbox: packet.sandbox,
        secrets: packet.secrets,
        allowlist: packet.agent.tools,
        writeManifest: packet.scope.writeManifest,
        mcpServers: packet.mcp.servers,
        ...(packet.agent.approvals ? { approvals: packet.agent.approvals } : {}),
      };
      const what = `tool call ${call.name} (turn ${turn})`;
      let result = await withRecovery(run, 'tool_call', what, () => run.acts.tools.executeToolCall(callInput));
      if (result.needsApproval) {
        // The wait is here, in the workflow: it survives worker crashes and server restarts.
        const decision = await awaitApproval(run, result.needsApproval, { turn, callId: call.id, index: index + 1 });
        result = await withRecovery(run, 'tool_call', what, () => run.acts.tools.executeToolCall({ ...callInput, approval: decision }));
      }
      if (result.refused) {
        run.emit('lane.tool.refused', `tool ${call.name} refused: ${result.refused.reason}`, { turn, callId: call.id, tool: call.name }, result.refused.class);
      }
    }
    // commit.policy per_turn: every turn that changed files is its own checkpoint commit.
    if (packet.commit.policy === 'per_turn' && reply.toolCalls.length > 0) await checkpoint(run, `turn-${turn}`);
    run.loop.turnInPass = i + 1;
    await continueIfLong(run);
  }
  run.loop.turnInPass = 0;
  await checkpoint(run, `work-${pass}`);
  await run.flushSoon();
}

/** Commits whatever the worktree holds as the lane step `step` (nothing to commit: no commit). */
export async function checkpoint(run: LaneRun, step: string): Promise<void> {
  const { packet } = run;
  const commit = await withRecovery(run, 'agent_pass', `checkpoint ${step}`, () =>
    run.acts.git.commitWork({
      laneId: run.laneId,
      step,
      worktreePath: run.worktreePath!,
      message: packet.commit.message ?? `lanes: ${packet.objective.split('\n')[0]!.slice(0, 60)}`,
      author: packet.commit.author,
    }),
  );
  // What the next test run starts on (absent from workers that did not report it: unknown, not clean).
  run.checkout = commit.checkout ?? null;
  if (commit.sha) {
    run.addCommit(commit.sha, step);
    run.emit('lane.commit.created', `commit ${commit.sha.slice(0, 10)} (${step})`, { sha: commit.sha, step, created: commit.created });
  }
}

/** Long lanes start a fresh run before history grows large (between agent turns only). */
async function continueIfLong(run: LaneRun): Promise<void> {
  const info = workflowInfo();
  if (!info.continueAsNewSuggested && info.historyLength < (run.input.historyEventLimit ?? DEFAULT_HISTORY_EVENT_LIMIT)) return;
  await run.flush();
  await condition(allHandlersFinished);
  await continueAsNew<(input: LaneInput) => Promise<LaneReport>>(run.continuedInput());
}

/**
 * Budget gate after each model turn: each limit crossed asks decideRecovery
 * (step `budget`). warn mode: `budget.warn` once per limit, and the lane goes
 * on. block mode: `budget.block` and the lane blocks (never merges); --retry
 * lifts that limit for this lane, --abort ends it.
 */
export async function checkBudget(run: LaneRun, atTurn: number): Promise<void> {
  const b = run.packet.budget;
  const { usage } = run;
  const over: { limit: string; used: number; max: number }[] = [];
  const tokens = usage.inputTokens + usage.outputTokens;
  if (b.tokens !== undefined && tokens > b.tokens) over.push({ limit: 'tokens', used: tokens, max: b.tokens });
  if (b.costUsd !== undefined && usage.costUsd > b.costUsd) over.push({ limit: 'costUsd', used: usage.costUsd, max: b.costUsd });
  const elapsed = Date.now() - run.startedAt.getTime();
  if (b.wallTimeMs !== undefined && elapsed > b.wallTimeMs) over.push({ limit: 'wallTimeMs', used: elapsed, max: b.wallTimeMs });
  for (const o of over) {
    // Warned about once, or lifted by an operator: this limit is decided for the lane.
    if (run.budgetWarned.has(o.limit) || run.budgetLifted.has(o.limit)) continue;
    const text = `budget ${o.limit} exceeded at turn ${atTurn}: ${Math.round(o.used * 10_000) / 10_000} > ${o.max}`;
    const data = { ...o, turn: atTurn };
    if (b.mode === 'warn') {
      run.emit('budget.warn', text, data, 'budget');
    } else {
      run.emit('budget.block', text, data, 'budget');
    }
    const next = await decide(run, { step: 'budget', cls: 'budget', attemptsUsed: 0 }, text);
    if (next.do === 'warn') run.budgetWarned.add(o.limit);
    else run.budgetLifted.add(o.limit);
  }
}
