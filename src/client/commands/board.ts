// `lanes board`: one view of a run's lanes — task, state, green level, blocker, elapsed,
// tokens/cost. A live table redrawn in place on a TTY, plain lines (one per change)
// otherwise, one JSON snapshot with --json.
import type { Client } from '@temporalio/client';
import type { Command } from 'commander';
import { LanesError } from '../../errors.js';
import { stateQuery, summaryQuery } from '../../workflows/lane/api.js';
import type { RunReport } from '../../workflows/run/api.js';
import { action, intOption } from '../context.js';
import { addWebBoardOptions, serveWebBoard, type WebBoardFlags } from './board-web.js';
import { handleFor } from '../lanes.js';
import { runIdOf, runState } from '../runs.js';
import { withClient } from '../temporal.js';

export interface BoardRow {
  taskId: string;
  laneId: string;
  status: string;
  laneState: string | null;
  greenLevel: string | null;
  blocker: string | null;
  elapsedMs: number | null;
  tokens: number;
  costUsd: number;
  note: string | null;
}

export interface Board {
  runId: string;
  state: RunReport['state'];
  detail: string;
  target: string;
  integrationBranch: string;
  rows: BoardRow[];
}

/** The latest run, when none is named. */
async function latestRun(client: Client): Promise<string> {
  for await (const wf of client.workflow.list({ query: `WorkflowType = 'runWorkflow'` })) return runIdOf(wf.workflowId);
  throw new LanesError('not_found', 'no runs yet', 'Start one with `lanes run <plan>`.');
}

async function snapshot(client: Client, run: string, now: number): Promise<Board> {
  const r = await runState(client, run);
  const rows = await Promise.all(
    r.tasks.map(async (t): Promise<BoardRow> => {
      let laneState: string | null = null;
      let greenLevel = t.greenLevel;
      let blocker: string | null = t.failureClass ? `${t.failureClass}` : null;
      if (t.status === 'running') {
        // Live lanes answer their own queries: state, level and the current blocker.
        const h = handleFor(client, t.laneId);
        const [st, sum] = await Promise.all([h.query(stateQuery), h.query(summaryQuery)]).catch(() => [null, null] as const);
        laneState = st?.state ?? null;
        greenLevel = st?.greenLevel ?? greenLevel;
        blocker = sum?.blocker ? `${sum.blocker.class}: ${sum.blocker.detail}` : null;
      }
      const start = t.startedAt ? Date.parse(t.startedAt) : null;
      const end = t.endedAt ? Date.parse(t.endedAt) : now;
      const waiting = t.status === 'pending' ? t.dependsOn.filter((d) => !['landed', 'reused'].includes(r.tasks.find((x) => x.taskId === d)?.status ?? '')) : [];
      return {
        taskId: t.taskId,
        laneId: t.laneId,
        status: t.status,
        laneState,
        greenLevel,
        blocker,
        elapsedMs: start === null ? null : end - start,
        tokens: t.usage.inputTokens + t.usage.outputTokens,
        costUsd: t.usage.costUsd,
        note: t.reason ?? (waiting.length ? `waits for ${waiting.join(', ')}` : null),
      };
    }),
  );
  return { runId: r.runId, state: r.state, detail: r.detail, target: r.target, integrationBranch: r.integrationBranch, rows };
}

const secs = (ms: number | null) => (ms === null ? '-' : `${(ms / 1000).toFixed(0)}s`);

export function renderRow(row: BoardRow): string {
  return [
    row.taskId.padEnd(16),
    `${row.status}${row.laneState && row.laneState !== 'running' ? `/${row.laneState}` : ''}`.padEnd(16),
    (row.greenLevel ?? '-').padEnd(12),
    secs(row.elapsedMs).padStart(6),
    String(row.tokens).padStart(8),
    `$${row.costUsd.toFixed(4)}`.padStart(9),
    ` ${row.blocker ?? row.note ?? ''}`,
  ].join(' ');
}

export function renderBoard(b: Board): string {
  return [
    `run ${b.runId}: ${b.state} — ${b.detail}`,
    `${b.integrationBranch} -> ${b.target}`,
    `${'task'.padEnd(16)} ${'state'.padEnd(16)} ${'green'.padEnd(12)} ${'time'.padStart(6)} ${'tokens'.padStart(8)} ${'cost'.padStart(9)}  blocker / note`,
    ...b.rows.map(renderRow),
  ].join('\n');
}

export function registerBoardCommand(program: Command): void {
  addWebBoardOptions(program
    .command('board')
    .description("One view of a run's lanes (task, state, green level, blocker, elapsed, tokens/cost): live on a TTY, plain lines otherwise, a JSON snapshot with --json; --web serves the web board of all lanes instead")
    .option('--run <id>', 'the run (default: the latest)')
    .option('--interval-ms <ms>', 'refresh interval', intOption('--interval-ms', 100, 60_000), 1_000)
    .option('--once', 'print the board once and exit'))
    .action(
      action(async ({ out, config }, opts: { run?: string; intervalMs: number; once?: boolean } & WebBoardFlags) =>
        opts.web ? serveWebBoard(out, config, opts) : withClient(config, async (client) => {
          const run = opts.run ?? (await latestRun(client));
          if (out.format === 'json' || opts.once) {
            out.result(await snapshot(client, run, Date.now()), renderBoard);
            return 0;
          }
          const tty = process.stdout.isTTY === true;
          const seen = new Map<string, string>();
          for (;;) {
            const b = await snapshot(client, run, Date.now());
            if (tty) process.stdout.write(`\x1b[H\x1b[2J${renderBoard(b)}\n`);
            else {
              // Plain lines: one per task whose state changed, so logs stay readable.
              for (const row of b.rows) {
                const key = `${row.status}|${row.laneState}|${row.greenLevel}|${row.blocker}`;
                if (seen.get(row.taskId) !== key) process.stdout.write(`${new Date().toISOString()} ${renderRow(row)}\n`);
                seen.set(row.taskId, key);
              }
            }
            if (b.state !== 'running') {
              if (!tty) process.stdout.write(`run ${b.runId}: ${b.state} — ${b.detail}\n`);
              return b.state === 'finished' ? 0 : 1;
            }
            await new Promise((r) => setTimeout(r, opts.intervalMs));
          }
        }),
      ),
    );
}
