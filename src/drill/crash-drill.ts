// `lanes drill crash`: for each kill point, run the drill lane with a supervised
// worker whose fault plan SIGKILLs it there (or, with serverRestart, SIGKILL and
// restart the dev server while the lane sits at the point), let it recover, and
// check the durability invariants (invariants.ts). See docs/durability.md.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection, WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { LanesError } from '../errors.js';
import { normalizePacket, submitLane, waitForReport, workflowIdFor } from '../client/lanes.js';
import { requireTemporalBinary } from '../devserver/provision.js';
import { type DevServer, freePort, isServerReachable, startDevServer } from '../devserver/server.js';
import { TaskPacketSchema } from '../packet/schema.js';
import { type FaultKind, type FaultPlanInput, FAULT_PLAN_ENV, readFaultFiring, type KillPoint } from '../faults/index.js';
import { createFixtureRepo } from '../demo/fixture-repo.js';
import { type MockModelServer, startMockModelServer } from '../fixtures/mock-model-server.js';
import { eventsQuery, type LaneReport } from '../workflows/lane/api.js';
import { passFile } from '../activities/agent-pass.js';
import { checkDrillInvariants, type DrillObservation, type InvariantResult } from '../faults/invariants.js';
import { firstStartAfter, historyStarts, gitFacts, laneProcesses, readJsonLines, readPidLog } from './observe.js';
import type { CrashDrillReport, DrillMode, PointReport } from './report.js';
import { drillPacket, drillScript } from './scenario.js';
import { startSupervisedWorker, type SupervisedWorker } from './worker-process.js';

export const DRILL_AGENTS = ['builtin', 'claude_code', 'codex'] as const;
export type DrillAgent = (typeof DRILL_AGENTS)[number];

export interface CrashDrillOptions {
  /** Temporal to use for worker_kill drills when it answers; otherwise the drill starts its own. */
  address: string;
  namespace: string;
  points: readonly KillPoint[];
  /** Runs per point (default 1). */
  repeat?: number;
  /** Restart the dev server (SIGKILL, same SQLite) instead of killing the worker. */
  serverRestart?: boolean;
  /**
   * The fault fired at the point in worker drills (default crash = SIGKILL the worker).
   * Others: exit, throw (class infra), enospc, mcp_crash, mcp_hang, index_lock.
   */
  fault?: Exclude<FaultKind, 'delay'>;
  /** Parent folder of the per-run homes (default a new temp folder). */
  dir?: string;
  /** Keep the homes of passing runs too (failing ones are always kept). */
  keep?: boolean;
  /** Deadline for one lane, ms (default 180000). */
  pointTimeoutMs?: number;
  /** How long the lane is held at the point while the server restarts, ms (default 8000). */
  serverRestartHoldMs?: number;
  /** The drill lane's agent (default builtin); claude_code / codex run the real CLI against the mock. */
  agent?: DrillAgent;
  onProgress?: (line: string) => void;
}

const DEFAULT_POINT_TIMEOUT_MS = 180_000;

/** The lane's report, tolerating a server that is away for a while; null past the deadline. */
async function awaitReport(client: Client, laneId: string, deadline: number): Promise<{ report: LaneReport | null; error?: string }> {
  let lastError = '';
  while (Date.now() < deadline) {
    const left = deadline - Date.now();
    const stopTimer = new AbortController();
    const timeout = sleep(left, 'timeout' as const, { signal: stopTimer.signal }).catch(() => 'timeout' as const);
    try {
      const pending = waitForReport(client, laneId);
      pending.catch(() => undefined);
      const r = await Promise.race([pending, timeout]);
      if (r === 'timeout') break;
      return { report: r };
    } catch (e) {
      if (e instanceof WorkflowFailedError || e instanceof WorkflowNotFoundError) return { report: null, error: (e as Error).message };
      // The server is restarting (UNAVAILABLE and friends): ask again.
      lastError = (e as Error).message;
      await sleep(500);
    } finally {
      // A pending deadline timer would keep the CLI process alive after the drill.
      stopTimer.abort();
    }
  }
  return { report: null, error: `no report within the deadline${lastError ? ` (last error: ${lastError})` : ''}` };
}

function byTurn(mock: MockModelServer, scenario: string): Record<number, number> {
  const out: Record<number, number> = {};
  for (const r of mock.requests) if (r.scenario === scenario) out[r.turn] = (out[r.turn] ?? 0) + 1;
  return out;
}

/** What the mock answered for the lane, kept with a run's folder to explain a billing verdict. */
function requestLog(mock: MockModelServer, scenario: string): unknown[] {
  return mock.requests
    .filter((r) => r.scenario === scenario)
    .map((r) => {
      const body = r.body as { model?: string; max_tokens?: number; messages?: unknown[]; tools?: unknown[] } | undefined;
      return { seq: r.seq, turn: r.turn, status: r.status, path: r.path, model: r.model, at: new Date(r.receivedAt).toISOString(), maxTokens: body?.max_tokens, messages: body?.messages?.length, tools: body?.tools?.length ?? 0, last: JSON.stringify(body?.messages?.at(-1) ?? null).slice(0, 300) };
    });
}

/** After a kill mid-pass: the pass completed once, in a second run that resumed the saved session. */
function agentSessionResumed(home: string, laneId: string): InvariantResult {
  const name = 'agent_session_resumed';
  let record: { status?: string; runs?: number; sessionId?: string; summary?: { resumed?: boolean; sessionId?: string | null } } = {};
  try {
    record = JSON.parse(readFileSync(join(home, 'lanes', laneId, passFile(1)), 'utf8')) as typeof record;
  } catch {
    return { name, passed: false, detail: 'no record of agent pass 1' };
  }
  const passed = record.status === 'completed' && record.runs === 2 && record.summary?.resumed === true && record.summary.sessionId === record.sessionId;
  return { name, passed, detail: `pass 1: ${record.status ?? '?'} after ${record.runs ?? '?'} run(s), session ${record.sessionId ?? 'none'}${record.summary?.resumed ? ' resumed' : ' not resumed'}` };
}

interface DrillContext {
  client: Client;
  address: string;
  namespace: string;
  mock: MockModelServer;
  dir: string;
  mode: DrillMode;
  /** Present when the drill owns the server (needed for server_restart). */
  server?: { current: DevServer; restart(): Promise<DevServer> };
  opts: CrashDrillOptions;
}

async function runPoint(ctx: DrillContext, point: KillPoint, run: number): Promise<PointReport> {
  const started = Date.now();
  const tag = `${point.replace(/_/g, '-')}-${run}-${randomBytes(3).toString('hex')}`;
  const runDir = join(ctx.dir, tag);
  const home = join(runDir, 'home');
  mkdirSync(home, { recursive: true });
  const laneId = `drill-${tag}`;
  const scenario = laneId;
  const agent = ctx.opts.agent ?? 'builtin';
  ctx.mock.script(scenario, drillScript(agent));
  const repo = await createFixtureRepo(join(home, 'repos', 'calculator'));
  const baseHead = await repo.head();
  const mcpSpawnLog = join(runDir, 'mcp-spawns.log');

  const hold = ctx.opts.serverRestartHoldMs ?? 8_000;
  const fault = ctx.opts.fault ?? 'crash';
  const plan: FaultPlanInput = [ctx.mode === 'worker_kill' ? { point, fault, laneId } : { point, fault: 'delay', delayMs: hold, laneId }];
  const planFile = join(runDir, 'fault-plan.json');
  writeFileSync(planFile, `${JSON.stringify(plan, null, 2)}\n`);
  const taskQueue = `drill-${tag}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LANES_HOME: home,
    LANES_HOST_ID: `drill-${tag}`,
    ANTHROPIC_BASE_URL: ctx.mock.anthropicBaseURL,
    ANTHROPIC_API_KEY: 'drill-key-not-secret',
    OPENAI_BASE_URL: ctx.mock.openaiBaseURL,
    OPENAI_API_KEY: 'drill-key-not-secret',
  };
  delete env[FAULT_PLAN_ENV];

  let worker: SupervisedWorker | undefined;
  let report: LaneReport | null = null;
  let waitError: string | undefined;
  let killMs: number | null = null;
  let restartMs: number | null = null;
  let decisionMs: number | null = null;
  const invariants: InvariantResult[] = [];
  let resume: { ms: number | null; with: string | null } = { ms: null, with: null };
  try {
    worker = await startSupervisedWorker({
      globalArgs: ['--address', ctx.address, '--namespace', ctx.namespace, '--task-queue', taskQueue],
      workerArgs: ['--fault-plan', planFile, '--shutdown-grace-ms', '2000'],
      env,
      logFile: join(runDir, 'worker.log'),
    });
    const packet = normalizePacket(TaskPacketSchema.parse(drillPacket({ id: laneId, repoPath: repo.path, scenario, mcpSpawnLog, agent })), home);
    const deadline = Date.now() + (ctx.opts.pointTimeoutMs ?? DEFAULT_POINT_TIMEOUT_MS);
    await submitLane(ctx.client, taskQueue, packet);

    let restarting: Promise<void> = Promise.resolve();
    if (ctx.mode === 'server_restart' && ctx.server) {
      const srv = ctx.server;
      restarting = (async () => {
        while (Date.now() < deadline && !readFaultFiring(home, laneId, point)) await sleep(100);
        if (!readFaultFiring(home, laneId, point)) return;
        killMs = Date.now();
        ctx.opts.onProgress?.(`  ${point}: lane held at the point; SIGKILL the dev server and restart it on the same SQLite`);
        await srv.current.stop('SIGKILL');
        await srv.restart();
        restartMs = Date.now() - killMs;
      })();
    }
    const waited = await awaitReport(ctx.client, laneId, deadline);
    await restarting;
    report = waited.report;
    waitError = waited.error;
    if (!report) {
      await ctx.client.workflow
        .getHandle(workflowIdFor(laneId))
        .terminate('lanes drill: deadline passed')
        .catch(() => undefined);
    }

    const firing = readFaultFiring(home, laneId, point);
    if (ctx.mode === 'worker_kill' && firing?.firings[0]) {
      killMs = Date.parse(firing.firings[0].ts);
      const ready = worker.lines.find((l) => l.event === 'worker.ready' && typeof l.ts === 'string' && Date.parse(l.ts) > killMs!);
      restartMs = ready ? Date.parse(ready.ts!) - killMs : null;
    }
    if (killMs !== null) {
      const starts = await historyStarts(ctx.client, workflowIdFor(laneId));
      const after = firstStartAfter(starts.activities, killMs);
      resume = after ? { ms: after.startedAtMs - killMs, with: `${after.activityType}#${after.attempt}` } : { ms: null, with: null };
      const decision = starts.workflowTasksMs.find((t) => t > killMs!);
      decisionMs = decision === undefined ? null : decision - killMs;
    }

    // Orphans are judged before the worker stops: a drain would tidy up what a crash left.
    await sleep(300);
    const workflowEvents = await ctx.client.workflow
      .getHandle(workflowIdFor(laneId))
      .query(eventsQuery, 0)
      .catch(() => [] as unknown[]);
    const facts = await gitFacts(repo.path, home, baseHead, 'main');
    const observation: DrillObservation = {
      laneId,
      report,
      firings: firing?.firings.length ?? 0,
      restarts: worker.lines.filter((l) => l.event === 'worker.restarted').map((l) => ({ signal: l.signal ?? null, exitCode: l.exitCode ?? null })),
      ...facts,
      modelRequestsByTurn: byTurn(ctx.mock, scenario),
      workflowEvents,
      fileEvents: readJsonLines(join(home, 'lanes', laneId, 'events.jsonl')),
      orphanProcesses: laneProcesses(home, { exclude: [worker.pid, ...worker.workerPids()], recordedPids: readPidLog(mcpSpawnLog) }),
    };
    // Any fault that ends the activity between the provider's answer and the saved reply costs one request.
    const endsActivity = fault === 'crash' || fault === 'exit' || fault === 'throw' || fault === 'enospc';
    invariants.push(
      ...checkDrillInvariants(observation, {
        oneTurnAskedTwice: ctx.mode === 'worker_kill' && endsActivity && point === 'mid_model_turn',
        // The agent's request in flight when its worker died is asked again by the resumed session, or is lost from the count.
        inFlightTurnMayRepeat: ctx.mode === 'worker_kill' && endsActivity && point === 'mid_agent_pass',
        workerRestarts: ctx.mode !== 'worker_kill' ? 'any' : fault === 'crash' ? 'one_sigkill' : fault === 'exit' ? 'one_exit' : 'none',
      }),
    );
    if (waitError && !report) invariants.find((i) => i.name === 'terminal_state')!.detail += ` (${waitError})`;
    if (point === 'mid_agent_pass') invariants.push(agentSessionResumed(home, laneId));
  } catch (e) {
    invariants.push({ name: 'drill_ran', passed: false, detail: `the drill itself failed: ${(e as Error).message}` });
  } finally {
    if (worker) {
      const stopped = await worker.stop();
      invariants.push(
        stopped.survivors.length === 0
          ? { name: 'worker_stopped', passed: true, detail: 'SIGTERM stopped the supervisor and its worker' }
          : { name: 'worker_stopped', passed: false, detail: `still alive after SIGTERM: ${stopped.survivors.join(', ')}` },
      );
    }
  }
  const passed = invariants.length > 0 && invariants.every((i) => i.passed);
  const keep = !passed || ctx.opts.keep === true;
  if (!keep) rmSync(runDir, { recursive: true, force: true });
  else writeFileSync(join(runDir, 'model-requests.json'), `${JSON.stringify(requestLog(ctx.mock, scenario), null, 2)}\n`);
  return {
    point,
    mode: ctx.mode,
    run,
    laneId,
    passed,
    invariants,
    resumeLatencyMs: resume.ms,
    resumedWith: resume.with,
    restartMs,
    decisionResumeMs: decisionMs,
    durationMs: Date.now() - started,
    dir: keep ? runDir : null,
  };
}

export async function runCrashDrill(opts: CrashDrillOptions): Promise<CrashDrillReport> {
  const started = Date.now();
  const mode: DrillMode = opts.serverRestart ? 'server_restart' : 'worker_kill';
  const repeat = opts.repeat ?? 1;
  if (opts.points.length === 0) throw new LanesError('usage', 'no kill points selected', 'Pass --at <point>[,<point>...] or --all.');
  const dir = opts.dir ?? join(tmpdir(), `lanes-drill-${new Date().toISOString().replace(/[-:T.Z]/g, '').slice(0, 14)}-${randomBytes(2).toString('hex')}`);
  mkdirSync(dir, { recursive: true });

  let server: DrillContext['server'];
  let address = opts.address;
  if (opts.serverRestart || !(await isServerReachable(address))) {
    const binary = await requireTemporalBinary({ onProgress: opts.onProgress });
    const serverOpts = { binaryPath: binary.path, dbFile: join(dir, 'temporal', 'dev.sqlite'), port: await freePort(), namespace: opts.namespace, readyTimeoutMs: 90_000 };
    opts.onProgress?.(`starting a Temporal dev server for the drill on 127.0.0.1:${serverOpts.port} (SQLite ${serverOpts.dbFile})`);
    const first = await startDevServer(serverOpts);
    address = first.address;
    const holder = {
      current: first,
      async restart() {
        holder.current = await startDevServer(serverOpts);
        return holder.current;
      },
    };
    server = holder;
  }

  const mock = await startMockModelServer();
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: opts.namespace });
  const ctx: DrillContext = { client, address, namespace: opts.namespace, mock, dir, mode, server, opts };
  const points: PointReport[] = [];
  try {
    for (const point of opts.points) {
      for (let run = 1; run <= repeat; run++) {
        opts.onProgress?.(`drill ${mode} at ${point}${repeat > 1 ? ` (run ${run}/${repeat})` : ''}...`);
        const r = await runPoint(ctx, point, run);
        points.push(r);
        opts.onProgress?.(
          `  ${r.passed ? 'PASS' : 'FAIL'} ${point}: resume ${r.resumeLatencyMs ?? '-'} ms${r.resumedWith ? ` (${r.resumedWith})` : ''}, lane ${Math.round(r.durationMs / 100) / 10} s` +
            (r.passed ? '' : `; broken: ${r.invariants.filter((i) => !i.passed).map((i) => `${i.name} (${i.detail})`).join('; ')}; kept ${r.dir}`),
        );
      }
    }
  } finally {
    await connection.close();
    await mock.close();
    await server?.current.stop();
    if (points.every((p) => p.passed) && !opts.keep) {
      // Nothing worth keeping: the drill's own folder goes (a --dir given by the caller stays).
      rmSync(opts.dir ? join(dir, 'temporal') : dir, { recursive: true, force: true });
    }
  }
  return {
    schema: 'lanes.drill/v1',
    drill: 'crash',
    mode,
    server: { address, startedByDrill: server !== undefined },
    passed: points.every((p) => p.passed),
    points,
    durationMs: Date.now() - started,
  };
}
