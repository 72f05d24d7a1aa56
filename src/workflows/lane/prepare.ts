// Phase 1, prepare: everything before the first prompt — the trust gate, the
// worktree, the lane's MCP servers.
import { isCancellation, patched } from '@temporalio/workflow';
import type { OpenLaneResult } from '../../activities/lane-open.js';
import { requiredFailures } from '../../mcp/report.js';
import { EarlyStart } from './early-start.js';
import { awaitTrust, decide, withRecovery } from './escalation.js';
import type { LaneRun } from './run.js';

/** Patch marker: the trust check starts beside the preflight (older runs: one after the other). */
export const PREPARE_CHECKS_TOGETHER_PATCH = 'lanes-prepare-checks-together';

/**
 * Patch marker: preflight, trust check and worktree in one activity, openLane (older runs: the
 * checks, then prepareWorktree, each its own activity).
 */
export const PREPARE_IN_ONE_STEP_PATCH = 'lanes-prepare-in-one-step';

export async function prepareLane(run: LaneRun): Promise<void> {
  const { packet, laneId, repoPath } = run;
  const opened = patched(PREPARE_IN_ONE_STEP_PATCH) ? await openLane(run) : null;
  let wt = opened?.trusted ? opened.worktree : null;
  if (!wt) {
    if (opened) await awaitTrust(run, opened.trustedRoots);
    else await checkStepByStep(run);
    wt = await withRecovery(run, 'prepare', 'worktree', () => run.acts.git.prepareWorktree({ laneId, repoPath, baseBranch: packet.repo.baseBranch, branch: run.branch }));
  }
  run.worktreePath = wt.worktreePath;
  run.setState('ready_for_prompt', 'lane.ready', `worktree ${wt.worktreePath} on ${wt.branch} from ${wt.baseCommit.slice(0, 10)}`, { ...wt });

  if (Object.keys(packet.mcp.servers).length > 0) await startMcpServers(run);
  await run.flushSoon();
}

/**
 * The start in one activity. Untrusted: nothing was created, the lane waits for `lanes trust`
 * and then creates its worktree. null when it failed: the step-by-step start runs instead, so
 * each failure is decided at its own step (preflight, trust check, worktree) with its class,
 * message and hint, exactly as before (a preflight problem fails again there: reads only).
 */
async function openLane(run: LaneRun): Promise<OpenLaneResult | null> {
  const { packet, laneId, repoPath } = run;
  try {
    return await run.acts.git.openLane({ laneId, repoPath, baseBranch: packet.repo.baseBranch, target: run.target, branch: run.branch });
  } catch (err) {
    if (isCancellation(err)) throw err;
    return null;
  }
}

/** The repository preflight and the trust gate as their own steps; untrusted -> waits for `lanes trust`. */
async function checkStepByStep(run: LaneRun): Promise<void> {
  const { packet, laneId, repoPath } = run;
  const checkTrust = () => run.acts.misc.checkTrust({ repoPath });
  // Both only read (the repo, the host's trusted roots): the trust check need not wait for the preflight.
  const earlyTrust = patched(PREPARE_CHECKS_TOGETHER_PATCH) ? new EarlyStart(checkTrust()) : null;
  // The host is the truth: the client's preflight again, before anything is created.
  await withRecovery(run, 'prepare', 'preflight', () => run.acts.git.preflightLane({ laneId, repoPath, baseBranch: packet.repo.baseBranch, target: run.target, branch: run.branch }));
  // Trust gate: nothing reaches a model before the repo is trusted.
  const trust = await withRecovery(run, 'prepare', 'trust check', () => (earlyTrust ? earlyTrust.take(checkTrust) : checkTrust()));
  if (!trust.trusted) await awaitTrust(run, trust.trustedRoots);
}

/**
 * Starts the lane's MCP servers. A failed required server asks decideRecovery
 * (step `mcp`, recipe restart_mcp): the activity's own restart of each failing
 * server counts as the first attempt; more attempts (recoveryAttempts > 1) stop
 * and start them all again; then the lane blocks — --retry starts them afresh,
 * --abort fails the lane. History gets a trimmed report; the full one is
 * mcp-report.json in the lane folder.
 */
async function startMcpServers(run: LaneRun): Promise<void> {
  const { packet, laneId } = run;
  let restarts = 0;
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
    const startRestarts = Math.max(0, (first.attempts ?? 1) - 1);
    if (startRestarts > 0) {
      run.emit('lane.recovery.attempted', `MCP server ${first.name} was restarted once at start; still failing (${first.failure_mode})`, { step: 'mcp', recipe: 'restart_mcp', server: first.name, attempts: first.attempts }, first.class);
    }
    await decide(run, { step: 'mcp', cls: first.class, attemptsUsed: startRestarts + restarts }, `required MCP server ${first.name} failed: ${first.message}`);
    restarts += 1;
    // A restart, or a --retry: drop the session so the next start spawns every server afresh.
    await run.acts.misc.stopMcp({ laneId });
  }
}
