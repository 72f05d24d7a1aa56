// Phase 1, prepare: everything before the first prompt — the trust gate, the
// worktree, the lane's MCP servers.
import { condition } from '@temporalio/workflow';
import { requiredFailures } from '../../mcp/report.js';
import { escalate, LaneStop } from './escalation.js';
import type { LaneRun } from './run.js';

export async function prepareLane(run: LaneRun): Promise<void> {
  const { packet, laneId, repoPath } = run;
  // The host is the truth: the client's preflight again, before anything is created.
  await run.acts.git.preflightLane({ laneId, repoPath, baseBranch: packet.repo.baseBranch, target: run.target, branch: run.branch });
  // Trust gate: nothing reaches a model before the repo is trusted.
  const trust = await run.acts.misc.checkTrust({ repoPath });
  if (!trust.trusted) {
    run.setState('trust_required', 'lane.trust_required', `${repoPath} is outside the trusted roots; waiting for \`lanes trust ${laneId}\``, { repoPath, trustedRoots: trust.trustedRoots }, 'trust_gate');
    await run.flush();
    const ok = await condition(() => run.trusted, packet.escalation.timeoutMs);
    if (!ok) throw new LaneStop('trust_gate', `not trusted within ${packet.escalation.timeoutMs} ms`);
    run.emit('lane.trust_resolved', `trusted by ${run.trustedBy ?? 'operator'}`, { repoPath, by: run.trustedBy });
  }

  const wt = await run.acts.git.prepareWorktree({ laneId, repoPath, baseBranch: packet.repo.baseBranch, branch: run.branch });
  run.worktreePath = wt.worktreePath;
  run.setState('ready_for_prompt', 'lane.ready', `worktree ${wt.worktreePath} on ${wt.branch} from ${wt.baseCommit.slice(0, 10)}`, { ...wt });

  if (Object.keys(packet.mcp.servers).length > 0) await startMcpServers(run);
  await run.flush();
}

/**
 * Starts the lane's MCP servers (the activity already restarted each failing one
 * once: that is the recovery). A failed required server blocks; --retry starts
 * them afresh, --abort fails the lane. History gets a trimmed report; the full
 * one is mcp-report.json in the lane folder.
 */
async function startMcpServers(run: LaneRun): Promise<void> {
  const { packet, laneId } = run;
  for (;;) {
    const report = await run.acts.misc.startMcp({ laneId, servers: packet.mcp.servers });
    // Same shape as the report, minus descriptions: tool texts can be kilobytes per server.
    const brief = {
      healthy: report.healthy.map((h) => ({ name: h.name, tools: h.tools.map((t) => ({ name: t.name })), resources: h.resources.map((r) => ({ uri: r.uri })), serverInfo: h.serverInfo })),
      failed: report.failed,
      degraded: report.degraded,
    };
    const data = { report: brief, reportFile: 'mcp-report.json' };
    if (report.failed.length === 0) run.emit('lane.mcp.ready', `${report.healthy.length} MCP server(s) ready`, data);
    else run.emit('lane.mcp.degraded', `MCP degraded: ${report.failed.map((f) => `${f.name} (${f.failure_mode})`).join(', ')} failed`, data);
    const required = requiredFailures(report, packet.mcp.servers);
    if (required.length === 0) return;
    const first = report.failed.find((f) => f.name === required[0])!;
    if ((first.attempts ?? 0) > 1) {
      run.emit('lane.recovery.attempted', `MCP server ${first.name} was restarted once at start; still failing (${first.failure_mode})`, { recipe: 'restart_mcp', server: first.name, attempts: first.attempts }, first.class);
    }
    await escalate(run, first.class, `required MCP server ${first.name} failed: ${first.message}`);
    // Retry: drop the session so the next start spawns every server afresh.
    await run.acts.misc.stopMcp({ laneId });
  }
}
