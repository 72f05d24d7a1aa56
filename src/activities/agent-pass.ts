// One pass of an external coding agent (Claude Code, Codex, or any command speaking
// their JSON lines) in the lane worktree, as a child process in its own process group.
// The pass record (agent/pass-<n>.json) holds the agent's session id from before its
// first turn, so a retry after a worker crash resumes that session, and the summary
// once the pass completes, so a completed pass is never run again.
import { randomUUID } from 'node:crypto';
import { type AgentSettings } from '../packet/schema.js';
import { createClaudeStreamParser } from '../agents/claude-stream.js';
import { createCodexStreamParser } from '../agents/codex-stream.js';
import { agentInvocation, claudeConfigDir, streamFormat } from '../agents/invocation.js';
import { claudeTranscriptTurns } from '../agents/claude-transcript.js';
import { type AgentStreamParser, type AgentTurn, lineSplitter, providerErrorClass } from '../agents/stream.js';
import { type McpServerConfig, validateServers } from '../mcp/config.js';
import { resolveEnvRefs } from '../mcp/env-refs.js';
import { estimateCostUsd } from '../providers/registry.js';
import { guardedCommand } from '../shell/parent-guard.js';
import { runSandboxed, SandboxRefused, shellQuote } from '../sandbox/index.js';
import type { SandboxSettings } from '../sandbox/plan.js';
import { agentNetwork } from '../agents/network.js';
import { type FailureClass, laneFailure } from '../failures.js';
import type { Client } from '@temporalio/client';
import { agentTurnSignal, type AgentTurnNotice } from '../workflows/lane/api.js';
import { activityCancellationSignal, currentActivity, startHeartbeat, throwIfActivityCancelled } from './activity-context.js';
import type { ArtifactStore } from './artifacts.js';
import { initialPrompt } from './model.js';
import { type FaultInjector, NO_FAULTS } from '../faults/index.js';
import {
  type AgentPassSummary,
  type PassRecord,
  PassRecordSchema,
  passFile,
  readTurns,
  streamFile,
  sumUsage,
  turnsFile,
} from './agent-pass-record.js';

export { agentPassFacts, type AgentPassFacts, type AgentPassSummary, passFile } from './agent-pass-record.js';

export interface AgentPassInput {
  laneId: string;
  /** Pass number in the lane, from 1: the idempotency key with laneId. */
  pass: number;
  worktreePath: string;
  agent: AgentSettings;
  objective: string;
  scopePaths: string[];
  /** For fix-up passes: the failing test output. */
  extraPrompt?: string;
  /** Operator messages queued for this pass (`lanes send`), in order: the agent reads them after the task. */
  userMessages?: string[];
  mcpServers?: Record<string, unknown>;
  /** The packet's sandbox settings: the agent process runs in the lane sandbox like every lane command. */
  sandbox?: SandboxSettings;
}

/**
 * The prompt of one pass: the task, a fix-up pass's failing output, then the messages queued
 * for the pass. The one place an external agent's prompt is built (a resumed run prefixes a note).
 */
export function passPrompt(input: Pick<AgentPassInput, 'objective' | 'scopePaths' | 'extraPrompt' | 'userMessages'>): string {
  const parts = [initialPrompt(input.objective, input.scopePaths)];
  if (input.extraPrompt) parts.push(`\n${input.extraPrompt}\n`);
  const messages = input.userMessages ?? [];
  if (messages.length > 0) parts.push(`\nMessages from the operator, sent while the lane ran (newest last):\n${messages.map((m, i) => `${i + 1}. ${m}`).join('\n')}\n`);
  return parts.join('');
}

const RESUME_NOTE = 'Your previous run of this task was interrupted (the Lanes worker restarted). Continue where you left off; the task was:';
const MAX_TURNS_KEPT = 200;
const MAX_TOOL_USES_PER_TURN = 20;

export interface AgentPassDeps {
  store: ArtifactStore;
  /** The worker's environment: credentials and base URLs come only from here. */
  env?: NodeJS.ProcessEnv;
  /** Heartbeat interval in ms (default 5000). */
  heartbeatMs?: number;
  /** Whether this worker lets lane commands have the host network (config sandbox.allowHostNetwork). */
  allowHostNetwork?: boolean;
  /** Kill points for drills and chaos (default NO_FAULTS: nothing fires). */
  faults?: FaultInjector;
}

function packetMcpServers(entries: Record<string, unknown> | undefined, env: NodeJS.ProcessEnv): Record<string, McpServerConfig> {
  // Invalid entries were reported by the lane's own MCP start; the agent just does without them.
  const out: Record<string, McpServerConfig> = {};
  for (const [name, config] of Object.entries(validateServers(entries ?? {}).valid)) {
    const r = resolveEnvRefs(name, config, env);
    if ('config' in r) out[name] = r.config;
  }
  return out;
}

function parserFor(agent: AgentSettings, cb: Parameters<typeof createClaudeStreamParser>[0]): AgentStreamParser {
  return streamFormat(agent) === 'codex_json' ? createCodexStreamParser(cb) : createClaudeStreamParser(cb);
}

function fail(cls: FailureClass, message: string, details: Record<string, unknown>, hint: string): never {
  throw laneFailure(cls, message, { ...details, hint });
}

/**
 * Sends each turn to the lane workflow as the agentTurn signal, in order, while the pass runs
 * (the lane shows lane.turn.completed before the pass ends). Best effort: after a failed send
 * nothing more is sent (no gaps), and the summary fills in the rest. Outside an activity (unit
 * tests, the CLI) there is no workflow to tell.
 */
function liveTurns(laneId: string): { send(notice: AgentTurnNotice): void; drain(): Promise<void> } {
  const ctx = currentActivity();
  let client: Client | undefined;
  try {
    client = ctx?.client;
  } catch {
    client = undefined; // a test's activity environment has no client
  }
  const workflowId = ctx?.info.workflowExecution?.workflowId;
  if (!ctx || !client || !workflowId) return { send() {}, drain: async () => {} };
  const handle = client.workflow.getHandle(workflowId);
  let chain = Promise.resolve();
  let broken = false;
  return {
    send(notice) {
      chain = chain.then(async () => {
        if (broken) return;
        try {
          await handle.signal(agentTurnSignal, notice);
        } catch (err) {
          broken = true;
          ctx.log.warn(`agentPass ${laneId}: live turn events stop here (${(err as Error).message}); the pass summary carries the rest`);
        }
      });
    },
    drain: () => chain,
  };
}

/**
 * Replies a crashed run received but never printed to Lanes (the worker died first), read
 * back from Claude Code's own transcript of the resumed session: they were billed, so they
 * count. Other kinds keep no transcript Lanes can read; their lost reply is asked again.
 */
function lostTurns(agent: AgentSettings, stateDir: string, record: PassRecord, seen: readonly AgentTurn[]): AgentTurn[] {
  if (agent.kind !== 'claude_code' || record.runs < 2 || !record.sessionId) return [];
  const known = new Set(seen.map((t) => t.id).filter((id) => id !== undefined));
  return claudeTranscriptTurns(claudeConfigDir(stateDir), record.sessionId)
    .filter((t) => t.id !== undefined && !known.has(t.id))
    .map((t) => ({ ...t, recovered: true as const }));
}

/** Writes started where nothing can await them; `settled()` waits for all so far and rethrows the first failure. */
function writeTracker(): { track(write: Promise<unknown>): void; settled(): Promise<void> } {
  const pending = new Set<Promise<unknown>>();
  let failed: { err: unknown } | undefined;
  return {
    track(write) {
      const settled = write.then(
        () => undefined,
        (err: unknown) => {
          failed ??= { err };
        },
      );
      pending.add(settled);
      void settled.then(() => pending.delete(settled));
    },
    async settled() {
      await Promise.all([...pending]);
      if (failed) throw failed.err;
    },
  };
}

export function createAgentPassActivities(deps: AgentPassDeps) {
  const env = deps.env ?? process.env;
  const faults = deps.faults ?? NO_FAULTS;
  return {
    /**
     * One external agent pass in the worktree.
     * Failure semantics: idempotent per (laneId, pass). The session id is saved before the
     * agent's first turn; a retry resumes that session (`--resume`, `codex exec resume`)
     * instead of starting over, and a completed pass returns its saved summary without
     * running the agent again. A stall, a pass timeout, an untrustworthy exit (error
     * event, no final result line, non-JSON output) fail as `tool_runtime`; provider
     * errors the agent reports keep their provider class.
     */
    async agentPass(input: AgentPassInput): Promise<AgentPassSummary> {
      const { store } = deps;
      const { laneId, pass, agent } = input;
      const file = passFile(pass);
      const prior = store.readJson(laneId, file, PassRecordSchema);
      if (prior?.status === 'completed' && prior.summary) return { ...prior.summary, replayed: true };

      const net = agentNetwork(agent, input.sandbox?.network ?? 'none', env, deps.allowHostNetwork ?? false);
      if ('refused' in net) fail('tool_runtime', `${agent.kind} pass ${pass} refused: ${net.refused}`, { pass, kind: agent.kind, agentFailure: 'sandbox' }, net.hint);

      const format = streamFormat(agent);
      // Claude Code and commands take a session id from us; Codex names its own thread.
      const sessionId = prior?.sessionId ?? (format === 'codex_json' ? undefined : randomUUID());
      let resume = prior !== undefined && prior.sessionId !== undefined && prior.runs > 0;
      const record: PassRecord = { pass, kind: agent.kind, status: 'running', runs: (prior?.runs ?? 0) + 1, ...(sessionId ? { sessionId } : {}) };
      await store.writeJson(laneId, file, record);

      const task = passPrompt(input);
      const stateDir = store.pathOf(laneId, 'agent/state');
      const mcpServers = packetMcpServers(input.mcpServers, env);

      let injected: unknown;
      // The agent's stream callbacks are synchronous; the writes they start are tracked and
      // awaited before anything reads them back, before a kill point, and before the run ends.
      const writes = writeTracker();
      const runOnce = async () => {
        // Turns of earlier runs of this pass come first in its numbering.
        const offset = readTurns(store, laneId, pass).filter((t) => t.run < record.runs).length;
        const live = liveTurns(laneId);
        const parser = parserFor(agent, {
          onSession(id) {
            if (record.sessionId) return;
            // Saved at once: a crash from here on resumes this session.
            record.sessionId = id;
            writes.track(store.writeJson(laneId, file, record));
          },
          onTurn(turn) {
            writes.track(store.appendLine(laneId, turnsFile(pass), JSON.stringify({ run: record.runs, ...turn })));
            const index = offset + turn.index;
            live.send({ pass, index, run: record.runs, sessionId: record.sessionId ?? null, turn: { ...turn, index, toolUses: turn.toolUses.slice(0, MAX_TOOL_USES_PER_TURN) } });
            // Drills kill the worker here, mid-pass, with the session saved and the agent running.
            // An injected failure (throw, enospc) ends the run like a crash would, then fails the attempt.
            if (turn.index === 2) {
              // Only once the session and the turns so far are on disk, as a synchronous write had them.
              writes.settled().then(() => faults.point('mid_agent_pass', { home: store.home, laneId, pass, run: record.runs })).catch((err: unknown) => {
                injected ??= err;
                fatal.abort();
              });
            }
          },
          onFatal: () => fatal.abort(),
        });
        const invocation = agentInvocation({ agent, prompt: resume ? `${RESUME_NOTE}\n\n${task}` : task, sessionId: record.sessionId, resume, stateDir, mcpServers, env });
        const stall = new AbortController();
        const fatal = new AbortController();
        let stallTimer: NodeJS.Timeout | undefined;
        const armStall = () => {
          clearTimeout(stallTimer);
          stallTimer = setTimeout(() => stall.abort(), agent.stallTimeoutMs);
        };
        const cancel = activityCancellationSignal();
        const signal = AbortSignal.any([stall.signal, fatal.signal, ...(cancel ? [cancel] : [])]);
        const lines = lineSplitter((line) => {
          parser.line(line);
          if (line.trim()) writes.track(store.appendLine(laneId, streamFile(pass), line.slice(0, 100_000)));
        });
        let stderrTail = '';
        const stopHeartbeat = startHeartbeat(() => ({ pass, sessionId: record.sessionId ?? null, turns: parser.state.turns.length }), deps.heartbeatMs ?? 5_000);
        armStall();
        try {
          // The agent, its shell tool and everything it starts live in the lane sandbox: only the
          // worktree, a scratch dir and the agent's own state dir (sessions, for resume) are
          // writable, $LANES_HOME and other lanes are hidden; the guard outside it kills the
          // sandbox when the worker dies.
          const res = await runSandboxed({
            home: store.home,
            root: input.worktreePath,
            permissionMode: agent.permissionMode,
            settings: { ...input.sandbox, network: net.network },
            allowHostNetwork: deps.allowHostNetwork ?? false,
            laneDirs: [stateDir],
            rootReadOnly: agent.permissionMode === 'read_only',
            command: `exec ${[invocation.file, ...invocation.args].map(shellQuote).join(' ')}`,
            baseEnv: invocation.env,
            wrap: (file, args) => guardedCommand(file, args),
            ...(net.relay ? { relay: net.relay } : {}),
            timeoutMs: agent.passTimeoutMs,
            signal,
            ...(invocation.input !== undefined ? { input: invocation.input } : {}),
            onStdout: (chunk) => lines.push(chunk),
            onStderr: (chunk) => {
              stderrTail = (stderrTail + chunk).slice(-2_000);
            },
            // Any output, on either stream, proves the agent is alive.
            onOutput: armStall,
          }).catch((err: unknown) => {
            if (err instanceof SandboxRefused) fail('tool_runtime', `${agent.kind} pass ${pass} refused: ${err.message}`, { pass, kind: agent.kind, agentFailure: 'sandbox' }, err.hint);
            throw err;
          });
          lines.flush();
          parser.end();
          await writes.settled();
          await live.drain();
          return { res, state: parser.state, stalled: stall.signal.aborted, stderrTail };
        } finally {
          clearTimeout(stallTimer);
          stopHeartbeat();
        }
      };

      let run = await runOnce();
      if (injected) throw injected;
      // The crashed run died before the agent saved its session: start it afresh under the same id.
      if (resume && /no conversation found|session .*not found|no (saved )?session/i.test(`${run.state.final?.text ?? ''} ${run.state.errors.join(' ')} ${run.stderrTail}`)) {
        resume = false;
        run = await runOnce();
      }
      throwIfActivityCancelled();

      const { res, state } = run;
      const details = { pass, kind: agent.kind, sessionId: record.sessionId ?? null, exitCode: res.exitCode, turns: state.turns.length };
      const who = `${agent.kind} pass ${pass}`;
      if (run.stalled) {
        fail('tool_runtime', `${who} printed nothing for ${agent.stallTimeoutMs} ms; its process group was killed`, { ...details, agentFailure: 'stalled' }, 'The agent hung (a tool or the provider never answered). Retrying resumes its session; raise agent.stallTimeoutMs if its tools are slow but quiet.');
      }
      if (state.fatal) fail(state.fatal.cls, `${who}: ${state.fatal.message}`, { ...details, agentFailure: 'provider' }, 'Check the credentials the worker passes to this agent, then retry.');
      if (res.timedOut) fail('tool_runtime', `${who} ran longer than agent.passTimeoutMs (${agent.passTimeoutMs} ms); its process group was killed`, { ...details, agentFailure: 'timeout' }, 'Retrying resumes the session; raise agent.passTimeoutMs or narrow the task.');
      if (state.nonJsonCount > 0) {
        fail('tool_runtime', `${who} printed ${state.nonJsonCount} line(s) on stdout that are not JSON (first: ${JSON.stringify(state.nonJson[0])}); its result is not trusted`, { ...details, agentFailure: 'protocol' }, 'The agent must print only JSON lines on stdout (diagnostics go to stderr).');
      }
      const final = state.final;
      if (!final) {
        fail('tool_runtime', `${who} exited with ${res.exitCode ?? res.signal} without a final result line; its work is not trusted${run.stderrTail ? `: ${run.stderrTail.trim().slice(-300)}` : ''}`, { ...details, agentFailure: 'no_result' }, 'See agent/ in the lane folder for the stream; retrying resumes the session.');
      }
      // Running out of turns ends the pass like the builtin loop does: the tests decide.
      const finished = final.ok || final.subtype === 'error_max_turns';
      if (!finished) {
        const reported = `${final.text} ${state.errors.join(' ')}`;
        const cls = final.errorStatus !== undefined || state.errors.length > 0 ? providerErrorClass(final.errorStatus, reported) : 'tool_runtime';
        fail(cls, `${who} reported an error (${final.subtype}): ${final.text || state.errors[state.errors.length - 1] || 'no message'}`, { ...details, agentFailure: 'error_result' }, 'See agent/ in the lane folder; fix the cause, then retry (the session resumes).');
      }
      if (res.exitCode !== 0) {
        fail('tool_runtime', `${who} printed a final result but exited with ${res.exitCode ?? res.signal}; its work is not trusted`, { ...details, agentFailure: 'exit_code' }, 'See agent/ in the lane folder; retrying resumes the session.');
      }
      // A resumed session prints only its own turns: the turns of the runs a crash cut short
      // come from the turns file, and their usage (as the agent reported it) is added.
      const earlierRuns = readTurns(store, laneId, pass).filter((t) => t.run < record.runs);
      // Replies read back from the transcript go last: the turns before them keep the index their live signal carried.
      const earlier: AgentTurn[] = [...earlierRuns.map(({ run: _run, ...t }) => t), ...lostTurns(agent, stateDir, record, [...earlierRuns, ...state.turns])];
      const usage = {
        inputTokens: final.usage.inputTokens + sumUsage(earlier).inputTokens,
        outputTokens: final.usage.outputTokens + sumUsage(earlier).outputTokens,
      };
      const turns: AgentTurn[] = [...earlier.filter((t) => !t.recovered), ...state.turns, ...earlier.filter((t) => t.recovered)].map((t, i) => ({ ...t, index: i + 1 }));
      const costUsd = (final.costUsd ?? estimateCostUsd(agent.model, final.usage, agent.provider)) + estimateCostUsd(agent.model, sumUsage(earlier), agent.provider);
      const summary: AgentPassSummary = {
        pass,
        kind: agent.kind,
        sessionId: record.sessionId ?? null,
        runs: record.runs,
        resumed: record.runs > 1,
        replayed: false,
        turns: turns.slice(-MAX_TURNS_KEPT).map((t) => ({ ...t, toolUses: t.toolUses.slice(0, MAX_TOOL_USES_PER_TURN) })),
        usage,
        costUsd,
        subtype: final.subtype,
        text: final.text,
        durationMs: res.durationMs,
      };
      await store.writeJson(laneId, file, { ...record, status: 'completed', summary });
      return summary;
    },
  };
}
