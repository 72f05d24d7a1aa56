// Lane commands: submit, status, events, trust, resolve, cancel, list.
import { dirname } from 'node:path';
import { type Command, Option } from 'commander';
import { boardUrlFor } from '../../board/discovery.js';
import { LanesError } from '../../errors.js';
import type { LaneEvent } from '../../workflows/events.js';
import type { LaneReport } from '../../workflows/lane/api.js';
import { LANE_WORKFLOW_TYPE } from '../../workflows/lane/names.js';
import { EVENT_TYPES } from '../../workflows/events.js';
import { LANE_STATES } from '../../workflows/state.js';
import { type BlockedNotice, blockedNoticeOf } from '../blocked-notice.js';
import { action, intOption } from '../context.js';
import { laneIdFor } from '../lane-ids.js';
import { laneStatusOn, readLaneOn, type LaneStatusView } from '../lane-reader.js';
import type { PreflightReport } from '../preflight.js';
import { laneEventsAfter } from '../lane-events.js';
import type { Output } from '../output.js';
import { httpListWorkflows, type ListedWorkflow } from '../http-api.js';
import { overGrpc, readVia, withLaneReader } from '../read-path.js';

// Only the read commands' modules are loaded up front: status, events and list can take the
// HTTP API without the Temporal client (read-path.ts); the rest load it when they run.
const lanesOps = () => import('../lanes.js');
const laneApi = () => import('../../workflows/lane/api.js');
const sdk = async () => (await import('../temporal-sdk.js')).temporalClient;

export function renderEvent(e: LaneEvent): string {
  const cls = e.failureClass ? ` [${e.failureClass}]` : '';
  const blocked = blockedNoticeOf(e);
  return `#${String(e.seq).padStart(3)} ${e.ts.slice(11, 19)} ${e.type.padEnd(26)} ${e.state}/${e.greenLevel}${cls} ${e.detail}${blocked ? `\n      next: ${blocked.next}` : ''}`;
}

export function renderReport(r: LaneReport): string {
  return [
    `lane ${r.laneId}: ${r.state} at green level ${r.greenLevel}${r.failureClass ? ` (${r.failureClass})` : ''}`,
    `  ${r.detail}`,
    // Reports written before these fields existed have neither.
    ...(r.hint ? [`  hint: ${r.hint}`] : []),
    `  provider: ${r.provider.name}${r.provider.scripted ? ' (scripted)' : ''} ${r.provider.model}; turns ${r.usage.turns}, tokens in/out ${r.usage.inputTokens}/${r.usage.outputTokens}, cost $${r.usage.costUsd.toFixed(4)}`,
    `  repo: ${r.repo}  branch: ${r.branch} -> ${r.target}`,
    `  commits: ${r.commits.map((c) => `${c.sha.slice(0, 10)} (${c.step})`).join(', ') || 'none'}`,
    `  merge: ${r.landed ? (r.mergeCommit ? r.mergeCommit.slice(0, 10) : 'landed') : 'not merged'}`,
    ...(r.landedCommits?.length ? [`  landed on ${r.target}: ${r.landedCommits.map((c) => `${c.sha.slice(0, 10)} ${c.subject}`).join('; ')}`] : []),
    `  duration: ${(r.timings.durationMs / 1000).toFixed(1)} s, ${r.events} events`,
  ].join('\n');
}

/** `submit --exit-on-blocked`: the lane is blocked and waits for the command printed. */
export const EXIT_BLOCKED = 3;

export function renderBlocked(n: BlockedNotice): string {
  return `lane ${n.laneId} is ${n.state === 'blocked' ? 'BLOCKED' : 'waiting for trust'}${n.failureClass ? ` [${n.failureClass}]` : ''}: ${n.detail}\n  next: ${n.next}`;
}

/** The `lanes list` table: a header row, then one lane per line. */
export function renderLaneList(rows: Record<string, unknown>[]): string {
  if (rows.length === 0) return '(no lanes)';
  const line = (c: string[]) => `${c[0]!.padEnd(30)} ${c[1]!.padEnd(16)} ${c[2]!.padEnd(12)} ${c[3]!.padEnd(18)} ${c[4]}`.trimEnd();
  return [
    line(['LANE', 'STATE', 'GREEN', 'FAILURE', 'STARTED']),
    ...rows.map((r) => line([String(r.laneId), String(r.state ?? r.status), String(r.greenLevel ?? '-'), String(r.failureClass ?? '-'), String(r.startTime).slice(0, 19)])),
  ].join('\n');
}

const GRPC_INVALID_ARGUMENT = 3;

/** A visibility query the server refused (gRPC INVALID_ARGUMENT) is the caller's usage error. */
function invalidQuery(e: unknown, query: string | undefined): LanesError | undefined {
  const code = (e as { cause?: { code?: unknown } }).cause?.code ?? (e as { code?: unknown }).code;
  // The SDK's ServiceError, or the HTTP path's error shaped like it.
  if ((e as Error | undefined)?.name !== 'ServiceError' || code !== GRPC_INVALID_ARGUMENT) return undefined;
  const why = (((e as Error).cause as Error | undefined)?.message ?? (e as Error).message).replace(/^\d+ INVALID_ARGUMENT: /, '');
  return new LanesError('usage', `--query ${JSON.stringify(query ?? '')} is not a valid visibility query: ${why}`, "Write it like \"LaneState = 'blocked'\" or \"LaneRepo = '/path/to/repo'\" (Temporal list-filter syntax); or use --state.");
}

/** The `lanes status` document: the summary, the workflow status and what the state adds. */
export function statusDocument({ summary, state: st, workflowStatus }: LaneStatusView) {
  return { ...summary, workflowStatus, failureClass: st.failureClass, worktreePath: st.worktreePath, queuedMessages: st.queuedMessages ?? 0 };
}

export function renderStatus(s: ReturnType<typeof statusDocument>): string {
  return [
    `lane ${s.laneId}: ${s.phase} (workflow ${s.workflowStatus}), green level ${s.greenLevel}`,
    `  last event: #${s.lastSeq} ${s.lastEvent ?? '-'}`,
    `  last checkpoint: ${s.lastCheckpoint ? `${s.lastCheckpoint.type} — ${s.lastCheckpoint.detail}` : '-'}`,
    `  blocker: ${s.blocker ? `${s.blocker.class} — ${s.blocker.detail}` : 'none'}`,
    ...(s.blocker?.tail ? ['  failing output (end):', ...s.blocker.tail.split('\n').map((l: string) => `    ${l}`)] : []),
    ...(s.approval ? [`  awaiting approval: ${s.approval.requestId} ${s.approval.tool} ${JSON.stringify(s.approval.call)}${s.approval.rule ? ` (rule ${s.approval.rule})` : ''}`] : []),
    ...(s.queuedMessages ? [`  messages queued for the agent: ${s.queuedMessages}`] : []),
    `  next: ${s.recommendedAction}`,
  ].join('\n');
}

/** The SDK's listing in the shape both paths give `lanes list`. */
async function* sdkListed(list: AsyncIterable<import('@temporalio/client').WorkflowExecutionInfo>): AsyncGenerator<ListedWorkflow> {
  for await (const wf of list) {
    yield { workflowId: wf.workflowId, status: wf.status.name, searchAttributes: wf.searchAttributes as Record<string, unknown[]>, startTime: wf.startTime.toISOString() };
  }
}

async function finish(out: Output, report: LaneReport): Promise<number> {
  out.result(report, renderReport);
  return report.state === 'finished' ? 0 : 1;
}

export function registerLaneCommands(program: Command): void {
  program
    .command('submit')
    .description('Submit a task packet as a lane (workflow id lane-<packet id>); the same id attaches to the existing lane. The repository, branches and packet size are checked first (exit 2 with the cause and a fix)')
    .argument('<packet>', 'packet file (.json, .yaml or .yml)')
    .addOption(new Option('--wait', 'wait for the lane to end and print its report; a block is announced with the next command').conflicts('follow'))
    .option('--follow', 'stream the lane events live until it ends')
    .option('--exit-on-blocked', 'with --wait or --follow: stop waiting when the lane blocks (or waits for trust) and exit 3')
    .action(
      action(async ({ out, config }, file: string, opts: { wait?: boolean; follow?: boolean; exitOnBlocked?: boolean }) => {
        // Loaded here, not at startup: status/list/events need neither (docs/performance.md).
        const [{ loadPacketFile }, { preflightSubmit }, { normalizePacket, submitLane, followEvents, waitForReport, waitAnnouncingBlocks }] = await Promise.all([
          import('../../packet/parse.js'),
          import('../preflight.js'),
          lanesOps(),
        ]);
        const { packet } = await loadPacketFile(file);
        const lanePacket = normalizePacket(packet, dirname(file));
        if (opts.exitOnBlocked && !opts.wait && !opts.follow) throw new LanesError('usage', '--exit-on-blocked needs --wait or --follow', 'e.g. `lanes submit packet.yaml --wait --exit-on-blocked`');
        return overGrpc(config, async (client) => {
          let preflight: PreflightReport | undefined;
          const sub = await submitLane(client, config.taskQueue, lanePacket, {
            historyEventLimit: config.historyEventLimit,
            rehomeAfterMs: config.rehomeAfterMs,
            preflight: async () => (preflight = await preflightSubmit(lanePacket, config, file)),
            boardUrl: boardUrlFor(config.home),
          });
          if (preflight && !preflight.trusted) {
            out.info(`note: ${lanePacket.repo.path} is outside the trusted roots (${preflight.trustedRoots.join(', ')}); the lane waits for \`lanes trust ${sub.laneId}\` before any model sees it`);
          }
          const submitted = { ...sub, ...(preflight ? { preflight } : {}) };
          if (!opts.wait && !opts.follow) {
            out.result(submitted, (s) => `${s.attached ? 'attached to existing' : 'started'} lane ${s.laneId} (workflow ${s.workflowId})`);
            return 0;
          }
          const blocked = (n: BlockedNotice) => {
            if (opts.exitOnBlocked) {
              out.line({ event: 'blocked', ...n }, renderBlocked);
              return 'stop' as const;
            }
            // --follow prints the blocked event itself (with the next command).
            if (!opts.follow) out.line({ event: 'blocked', ...n }, (v: BlockedNotice) => `${renderBlocked(v)}\nstill waiting (Ctrl-C stops waiting; the lane keeps its place)...`);
          };
          if (opts.follow) {
            out.line({ event: 'submitted', ...submitted }, (s) => `${s.attached ? 'attached to' : 'started'} lane ${s.laneId}`);
            const stop = await followEvents(client, sub.laneId, (e) => {
              out.line(e, renderEvent);
              const n = blockedNoticeOf(e);
              return n && opts.exitOnBlocked ? (blocked(n), 'stop') : undefined;
            });
            if (stop === 'stopped') return EXIT_BLOCKED;
          } else out.info(`${sub.attached ? 'attached to' : 'started'} lane ${sub.laneId}; waiting...`);
          const report = opts.follow ? await waitForReport(client, sub.laneId) : await waitAnnouncingBlocks(client, sub.laneId, blocked);
          if (!('schema' in report)) return EXIT_BLOCKED;
          if (opts.follow) {
            out.line({ event: 'report', report }, (v) => renderReport(v.report));
            return report.state === 'finished' ? 0 : 1;
          }
          return finish(out, report);
        });
      }),
    );

  program
    .command('status')
    .description('Compressed view of a lane: phase, green level, last checkpoint, current blocker, recommended next action')
    .argument('<lane>', 'lane id (or workflow id lane-<id>)')
    .action(
      action(async ({ out, config }, lane: string) => {
        // Over the HTTP API when there is one (no Temporal client loaded), else over gRPC: the same answer.
        const view = await withLaneReader(config, lane, (reader) => laneStatusOn(reader, lane));
        out.result(statusDocument(view), renderStatus);
      }),
    );

  program
    .command('events')
    .description("List a lane's events (the typed lanes.event/v1 envelope)")
    .argument('<lane>', 'lane id (or workflow id lane-<id>)')
    .option('--after <seq>', 'only events after this sequence number', intOption('--after', 0, Number.MAX_SAFE_INTEGER), 0)
    .addOption(new Option('--type <type>', 'only events of this type').choices([...EVENT_TYPES]))
    .option('--follow', 'keep streaming until the lane ends')
    .action(
      action(async ({ out, config }, lane: string, opts: { after: number; type?: string; follow?: boolean }) => {
        const keep = (e: LaneEvent) => !opts.type || e.type === opts.type;
        if (opts.follow) {
          const { requireLane, followEvents } = await lanesOps();
          return overGrpc(config, async (client) => {
            await requireLane(client, lane);
            await followEvents(client, lane, (e) => keep(e) && out.line(e, renderEvent), { afterSeq: opts.after, home: config.home });
          });
        }
        const { value } = await withLaneReader(config, lane, (reader) => readLaneOn(reader, lane, (r) => laneEventsAfter(r, laneIdFor(lane), opts.after, config.home)));
        const events = value.filter(keep);
        out.result(events, (list: LaneEvent[]) => (list.length ? list.map(renderEvent).join('\n') : '(no events)'));
      }),
    );

  program
    .command('trust')
    .description('Trust the repository of a lane waiting in trust_required, so it can proceed')
    .argument('<lane>', 'lane id')
    .action(
      action(async ({ out, config }, lane: string) => {
        const [{ requireOpenLane, handleFor }, { stateQuery, trustSignal }] = await Promise.all([lanesOps(), laneApi()]);
        return overGrpc(config, async (client) => {
          await requireOpenLane(client, lane, 'trust');
          const h = handleFor(client, lane);
          const st = await h.query(stateQuery);
          if (st.state !== 'trust_required') throw new LanesError('conflict', `lane ${laneIdFor(lane)} is ${st.state}, not trust_required`, 'Only a lane waiting for trust can be trusted.');
          await h.signal(trustSignal, { by: process.env.USER });
          out.result({ laneId: laneIdFor(lane), trusted: true }, (r) => `lane ${r.laneId} trusted`);
        });
      }),
    );

  program
    .command('resolve')
    .description('Resolve a blocked lane: --retry, --abort, or --approve (pass a review gate, class review)')
    .argument('<lane>', 'lane id')
    .addOption(new Option('--retry', 'try the blocked step again').conflicts(['abort', 'approve']))
    .addOption(new Option('--abort', 'give up: the lane fails with the blocker class').conflicts(['retry', 'approve']))
    .addOption(new Option('--approve', 'approve a review (merge.requireReview, landing-screen findings) and go on').conflicts(['retry', 'abort']))
    .option('--note <text>', 'why (recorded in the event)')
    .action(
      action(async ({ out, config }, lane: string, opts: { retry?: boolean; abort?: boolean; approve?: boolean; note?: string }) => {
        const act = opts.retry ? 'retry' : opts.abort ? 'abort' : opts.approve ? 'approve' : undefined;
        if (!act) throw new LanesError('usage', 'lanes resolve needs one of --retry, --abort, --approve', 'e.g. `lanes resolve my-lane --abort`');
        const [{ requireOpenLane, handleFor }, { resolveUpdate }, { WorkflowUpdateFailedError }] = await Promise.all([lanesOps(), laneApi(), sdk()]);
        return overGrpc(config, async (client) => {
          await requireOpenLane(client, lane, 'resolve');
          try {
            const r = await handleFor(client, lane).executeUpdate(resolveUpdate, { args: [{ action: act, ...(opts.note ? { note: opts.note } : {}) }] });
            out.result({ laneId: laneIdFor(lane), ...r }, (v) => `lane ${v.laneId}: ${v.action} accepted`);
          } catch (e) {
            if (e instanceof WorkflowUpdateFailedError) throw new LanesError('conflict', (e.cause as Error | undefined)?.message ?? e.message, 'See `lanes status <lane>`.');
            throw e;
          }
        });
      }),
    );

  program
    .command('cancel')
    .description('Cancel a lane; it still closes out (stops MCP servers, removes its clean worktree)')
    .argument('<lane>', 'lane id')
    .action(
      action(async ({ out, config }, lane: string) => {
        const { requireOpenLane, handleFor } = await lanesOps();
        return overGrpc(config, async (client) => {
          await requireOpenLane(client, lane, 'cancel');
          await handleFor(client, lane).cancel();
          out.result({ laneId: laneIdFor(lane), cancelRequested: true }, (r) => `cancellation requested for lane ${r.laneId}`);
        });
      }),
    );

  program
    .command('list')
    .description('List lanes with their state, green level and failure class (from search attributes); lanes awaiting a tool-call approval first')
    .option('--limit <n>', 'at most this many', intOption('--limit', 1, 10_000), 50)
    .option('--state <state>', `only lanes in this state (search attribute LaneState): ${LANE_STATES.join(', ')}`)
    .option('--query <q>', 'extra visibility filter, e.g. "LaneState = \'blocked\'"')
    .action(
      action(async ({ out, config }, opts: { limit: number; query?: string; state?: string }) => {
        if (opts.state !== undefined && !(LANE_STATES as readonly string[]).includes(opts.state)) {
          throw new LanesError('usage', `--state must be one of ${LANE_STATES.join(', ')}; got "${opts.state}"`, 'Use e.g. --state blocked.');
        }
        const base = `WorkflowType = '${LANE_WORKFLOW_TYPE}'${opts.query ? ` AND (${opts.query})` : ''}`;
        // Lanes waiting for a tool-call approval come first (a person is holding them up), then the rest;
        // `!=` alone would drop lanes whose LaneState is not set yet (just started), hence IS NULL.
        const queries = opts.state
          ? [`${base} AND LaneState = '${opts.state}'`]
          : [`${base} AND LaneState = 'awaiting_approval'`, `${base} AND (LaneState != 'awaiting_approval' OR LaneState IS NULL)`];
        // Both visibility queries run side by side (one round trip); each stops at the limit.
        const collect = async (listed: AsyncIterable<ListedWorkflow>) => {
          const rows: Record<string, unknown>[] = [];
          for await (const wf of listed) {
            if (rows.length >= opts.limit) break;
            const sa = wf.searchAttributes;
            rows.push({
              laneId: laneIdFor(wf.workflowId),
              status: wf.status,
              state: sa.LaneState?.[0] ?? null,
              greenLevel: sa.LaneGreenLevel?.[0] ?? null,
              failureClass: sa.LaneFailureClass?.[0] ?? null,
              repo: sa.LaneRepo?.[0] ?? null,
              startTime: wf.startTime,
            });
          }
          return rows;
        };
        let rows: Record<string, unknown>[];
        try {
          rows = await readVia(
            config,
            'the lane list',
            (target) => Promise.all(queries.map((q) => collect(httpListWorkflows(target, q)))),
            () => overGrpc(config, (client) => Promise.all(queries.map((query) => collect(sdkListed(client.workflow.list({ query })))))),
          ).then((lists) => lists.flat().slice(0, opts.limit));
        } catch (e) {
          throw invalidQuery(e, opts.query) ?? e;
        }
        out.result(rows, renderLaneList);
      }),
    );
}
