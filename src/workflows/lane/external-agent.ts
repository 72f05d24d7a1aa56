// Phase 2 for external agents (agent.kind claude_code, codex, command): the whole
// pass is one activity (agentPass) running the agent as a process. Its turns become
// lane.turn.completed events while it runs: the activity signals each one (agentTurn)
// as the stream shows it; the summary at the end fills in whatever no signal brought
// (a signal lost with a crashed worker, turns read back from the agent's transcript).
// See docs/agents.md.
import { setHandler } from '@temporalio/workflow';
import type { AgentTurn } from '../../agents/stream.js';
import { checkBudget, checkpoint } from './agent.js';
import { agentTurnSignal } from './api.js';
import { withRecovery } from './escalation.js';
import type { LaneRun } from './run.js';
import { takeMessages } from './steering.js';

function emitAgentTurn(run: LaneRun, pass: number, t: AgentTurn, sessionId: string | null, resumed: boolean): void {
  const { kind, provider, model } = run.packet.agent;
  run.turn += 1;
  const how = t.recovered ? ', read back from its transcript' : resumed ? ', resumed session' : '';
  const text = `turn ${run.turn}: ${t.toolUses.length} tool call(s) (${kind} pass ${pass}${how})`;
  const data = { turn: run.turn, pass, kind, sessionId, resumed, agentTurn: t.index, text: t.text, toolUses: t.toolUses, usage: t.usage, ...(t.recovered ? { recovered: true } : {}) };
  if (!run.promptAccepted) {
    run.promptAccepted = true;
    run.setState('prompt_accepted', 'lane.prompt_accepted', `prompt accepted by ${kind} (${provider} ${model})`, { provider, model, scripted: run.scripted, kind, sessionId });
    run.setState('running', 'lane.turn.completed', text, data);
  } else {
    run.emit('lane.turn.completed', text, data);
  }
}

/** Live turns: emitted in order while their pass runs; a gap (a lost signal) leaves the rest to the summary. */
export function installAgentTurnHandler(run: LaneRun): void {
  setHandler(agentTurnSignal, (notice) => {
    const live = run.liveAgentPass;
    if (!live?.open || notice.pass !== live.pass) return;
    if (notice.index !== live.emitted + 1) {
      if (notice.index > live.emitted + 1) live.open = false;
      return;
    }
    live.emitted = notice.index;
    emitAgentTurn(run, notice.pass, { ...notice.turn, index: notice.index }, notice.sessionId, notice.run > 1);
  });
}

export async function runExternalAgentPass(run: LaneRun, pass: number, extraPrompt?: string): Promise<void> {
  const { packet, laneId } = run;
  const { kind, provider } = packet.agent;
  run.scripted = provider === 'scripted';
  run.liveAgentPass = { pass, emitted: 0, open: true };
  // Operator messages queued since the last pass go into this one (an external agent runs a whole pass at once).
  const messages = takeMessages(run, run.turn + 1).map((m) => m.text);
  const summary = await withRecovery(run, 'agent_pass', `${kind} pass ${pass}`, () =>
    run.acts.agent.agentPass({
      laneId,
      pass,
      worktreePath: run.worktreePath!,
      agent: packet.agent,
      objective: packet.objective,
      scopePaths: packet.scope.paths,
      extraPrompt,
      ...(messages.length ? { userMessages: messages } : {}),
      mcpServers: packet.mcp.servers,
      sandbox: packet.sandbox,
    }),
  );
  const emitted = run.liveAgentPass.emitted;
  run.liveAgentPass = null;
  run.usage.turns += summary.turns.length;
  run.usage.inputTokens += summary.usage.inputTokens;
  run.usage.outputTokens += summary.usage.outputTokens;
  run.usage.costUsd += summary.costUsd;
  for (const t of summary.turns) if (t.index > emitted) emitAgentTurn(run, pass, t, summary.sessionId, summary.resumed);
  await checkBudget(run, run.turn);
  await checkpoint(run, `work-${pass}`);
  await run.flushSoon();
}
