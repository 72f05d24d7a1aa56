// Phase 2 for external agents (agent.kind claude_code, codex, command): the whole
// pass is one activity (agentPass) running the agent as a process; its turns come
// back in the summary and become lane.turn.completed events here. See docs/agents.md.
import { checkBudget, checkpoint } from './agent.js';
import { withRecovery } from './escalation.js';
import type { LaneRun } from './run.js';

export async function runExternalAgentPass(run: LaneRun, pass: number, extraPrompt?: string): Promise<void> {
  const { packet, laneId } = run;
  const { kind, provider, model } = packet.agent;
  const summary = await withRecovery(run, 'agent_pass', `${kind} pass ${pass}`, () =>
    run.acts.agent.agentPass({
      laneId,
      pass,
      worktreePath: run.worktreePath!,
      agent: packet.agent,
      objective: packet.objective,
      scopePaths: packet.scope.paths,
      extraPrompt,
      mcpServers: packet.mcp.servers,
    }),
  );
  run.scripted = provider === 'scripted';
  run.usage.turns += summary.turns.length;
  run.usage.inputTokens += summary.usage.inputTokens;
  run.usage.outputTokens += summary.usage.outputTokens;
  run.usage.costUsd += summary.costUsd;
  for (const t of summary.turns) {
    run.turn += 1;
    const text = `turn ${run.turn}: ${t.toolUses.length} tool call(s) (${kind} pass ${pass}${summary.resumed ? ', resumed session' : ''})`;
    const data = { turn: run.turn, pass, kind, sessionId: summary.sessionId, resumed: summary.resumed, agentTurn: t.index, text: t.text, toolUses: t.toolUses, usage: t.usage };
    if (!run.promptAccepted) {
      run.promptAccepted = true;
      run.setState('prompt_accepted', 'lane.prompt_accepted', `prompt accepted by ${kind} (${provider} ${model})`, { provider, model, scripted: run.scripted, kind, sessionId: summary.sessionId });
      run.setState('running', 'lane.turn.completed', text, data);
    } else {
      run.emit('lane.turn.completed', text, data);
    }
  }
  await checkBudget(run, run.turn);
  await checkpoint(run, `work-${pass}`);
  await run.flush();
}
