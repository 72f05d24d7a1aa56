// `lanes logs <lane>`: the output of a lane's acceptance commands and tool calls, read
// from its folder $LANES_HOME/lanes/<id>/ (on the host that ran the lane), oldest first.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, Option } from 'commander';
import { LanesError } from '../../errors.js';
import { GREEN_LEVELS } from '../../packet/schema.js';
import { action, intOption } from '../context.js';
import { laneIdFor } from '../lanes.js';

export interface LaneLog {
  kind: 'test' | 'tool';
  /** Relative to the lane folder. */
  file: string;
  /** Test logs: the green level and the run (attempt key) they belong to. */
  level?: string;
  attemptKey?: string;
  /** Test logs: the command's name; tool logs: the tool's name. */
  name: string;
  /** Test logs: exit code (null: killed); tool logs: 0 ok, 1 failed. */
  exitCode?: number | null;
  lines: string[];
  /** Lines of the whole log, before --tail. */
  totalLines: number;
}

const TEST_LOG = /^(.+)-(targeted|package|workspace|merge_ready)-(\d+)\.log$/;

function tailOf(text: string, tail: number | undefined): { lines: string[]; total: number } {
  const lines = text.replace(/\n$/, '').split('\n');
  return { lines: tail === undefined ? lines : lines.slice(-tail), total: lines.length };
}

function filesIn(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((name) => ({ name, mtime: statSync(join(dir, name)).mtimeMs }))
    .sort((a, b) => a.mtime - b.mtime || a.name.localeCompare(b.name))
    .map((f) => f.name);
}

function readJson(path: string): any {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Test and tool logs of the lane folder `dir`, oldest first. */
export function readLaneLogs(dir: string, opts: { level?: string; tail?: number; kind?: 'test' | 'tool' } = {}): LaneLog[] {
  const out: LaneLog[] = [];
  if (opts.kind !== 'tool') {
    for (const name of filesIn(join(dir, 'tests'))) {
      const m = TEST_LOG.exec(name);
      if (!m) continue;
      const [, attemptKey, level, index] = m;
      if (opts.level && level !== opts.level) continue;
      const result = readJson(join(dir, 'tests', `${attemptKey}-${level}.json`))?.results?.[Number(index)];
      const { lines, total } = tailOf(readFileSync(join(dir, 'tests', name), 'utf8'), opts.tail);
      out.push({ kind: 'test', file: `tests/${name}`, level, attemptKey, name: result?.name ?? `command ${index}`, ...(result ? { exitCode: result.exitCode } : {}), lines, totalLines: total });
    }
  }
  // Tool calls have no green level: a --level filter shows test logs only.
  if (opts.kind !== 'test' && !opts.level) {
    for (const name of filesIn(join(dir, 'tools'))) {
      if (!name.endsWith('.json') || name.endsWith('.intent.json')) continue;
      const r = readJson(join(dir, 'tools', name));
      if (!r || typeof r.output !== 'string') continue;
      const { lines, total } = tailOf(r.output, opts.tail);
      out.push({ kind: 'tool', file: `tools/${name}`, name: String(r.name), exitCode: r.ok ? 0 : 1, lines, totalLines: total });
    }
  }
  return out;
}

function renderLogs(v: { laneId: string; dir: string; logs: LaneLog[] }): string {
  if (v.logs.length === 0) return `lane ${v.laneId}: no test or tool logs in ${v.dir} yet`;
  return v.logs
    .map((l) => {
      const what = l.kind === 'test' ? `${l.level} test "${l.name}" (${l.attemptKey})` : `tool ${l.name}`;
      const status = l.exitCode === undefined ? '' : l.exitCode === null ? ', killed' : `, exit ${l.exitCode}`;
      const cut = l.lines.length < l.totalLines ? ` — last ${l.lines.length} of ${l.totalLines} lines` : '';
      return `== ${l.file}: ${what}${status}${cut} ==\n${l.lines.join('\n')}`;
    })
    .join('\n\n');
}

export function registerLogsCommand(program: Command): void {
  program
    .command('logs')
    .description("Show a lane's acceptance-command and tool-call output, oldest first (read from $LANES_HOME/lanes/<id>/ on this host)")
    .argument('<lane>', 'lane id (or workflow id lane-<id>)')
    .addOption(new Option('--level <level>', 'only the test logs of this green level').choices(GREEN_LEVELS.filter((l) => l !== 'none')))
    .addOption(new Option('--kind <kind>', 'only test logs or only tool logs').choices(['test', 'tool']))
    .option('--tail <n>', 'only the last n lines of each log', intOption('--tail', 1, 1_000_000))
    .action(
      action(async ({ out, config }, lane: string, opts: { level?: string; kind?: 'test' | 'tool'; tail?: number }) => {
        if (!lane.trim()) throw new LanesError('usage', 'lanes logs needs a lane id, got an empty string', 'e.g. `lanes logs my-lane --tail 50`; list lanes with `lanes list`.');
        const laneId = laneIdFor(lane);
        if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(laneId)) throw new LanesError('usage', `"${lane}" is not a lane id`, 'Lane ids are letters, digits, ".", "_" and "-"; see `lanes list`.');
        const dir = join(config.home, 'lanes', laneId);
        if (!existsSync(dir)) {
          throw new LanesError('not_found', `no lane folder for ${laneId} at ${dir}`, 'Logs live on the host whose worker ran the lane: run `lanes logs` there (same LANES_HOME), or check the id with `lanes list`.');
        }
        const logs = readLaneLogs(dir, opts);
        out.result({ laneId, dir, logs }, renderLogs);
      }),
    );
}
