// 6. sandbox cost: what the lane sandbox adds to one command. `true` and the benchmark
// lane's `node --test test/` on the calculator fixture, each run plainly (the same shell
// and process group, no sandbox) and sandboxed, alternated so load from elsewhere hits
// both alike; plus the processes one sandboxed run executes, counted with strace when
// the host has it (counts hold on a loaded machine, where times do not).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CALCULATOR_FIX, createFixtureRepo } from '../demo/fixture-repo.js';
import { runSandboxed as defaultRunSandboxed, sandboxEnv, SHELL_PATH } from '../sandbox/index.js';
import { runProcessGroup, type ProcessGroupResult } from '../shell/process-group.js';
import { summarize, type Summary } from './stats.js';

export interface SandboxCommandCost {
  command: string;
  plain: Summary;
  sandboxed: Summary;
  /** Median sandboxed minus median plain. */
  overheadMs: number;
}

export interface SandboxCost {
  commands: SandboxCommandCost[];
  /** Processes executed by one sandboxed `true` (successful execve calls), null without strace. */
  execs: { total: number; byProgram: Record<string, number> } | null;
}

/** The launcher the bench drives; a parameter so an older build can be compared in the same minutes. */
export type RunSandboxedFn = typeof defaultRunSandboxed;

const COMMANDS = ['true', 'node --test test/'];

function hasStrace(): boolean {
  try {
    execFileSync('strace', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Successful execve calls in an `strace -f -e trace=execve` log, by program basename. */
export function countExecs(log: string): { total: number; byProgram: Record<string, number> } {
  const byProgram: Record<string, number> = {};
  let total = 0;
  for (const line of log.split('\n')) {
    const m = /execve\("([^"]+)".*\) = 0$/.exec(line);
    if (!m) continue;
    const name = m[1]!.split('/').pop()!;
    byProgram[name] = (byProgram[name] ?? 0) + 1;
    total++;
  }
  return { total, byProgram };
}

export async function sandboxCost(runs: number, problems: string[], runSandboxed: RunSandboxedFn = defaultRunSandboxed): Promise<SandboxCost> {
  const root = mkdtempSync(join(tmpdir(), 'lanes-bench-sandbox-'));
  try {
    const home = join(root, 'home');
    const repo = await createFixtureRepo(join(root, 'repo'));
    const wt = join(home, 'worktrees', 'bench-1');
    mkdirSync(join(home, 'worktrees'), { recursive: true });
    await repo.git('worktree', 'add', '-q', '-b', 'lanes/bench-1', wt);
    writeFileSync(join(wt, 'src', 'math.js'), CALCULATOR_FIX);
    const env = sandboxEnv();
    const check = (how: string, command: string, r: ProcessGroupResult, out: string) => {
      if (r.exitCode !== 0) problems.push(`sandbox cost: ${how} \`${command}\` exited ${r.exitCode ?? r.signal}: ${out.slice(-300)}`);
    };
    const plain = async (command: string) => {
      let out = '';
      const r = await runProcessGroup({ file: SHELL_PATH, args: ['-c', command], cwd: wt, env, timeoutMs: 60_000, onOutput: (c) => (out += c) });
      check('plain', command, r, out);
    };
    const sandboxed = async (command: string, wrap?: (file: string, args: string[]) => { file: string; args: string[] }) => {
      let out = '';
      const r = await runSandboxed({ home, root: wt, permissionMode: 'workspace_write', command, timeoutMs: 60_000, onOutput: (c) => (out += c), ...(wrap ? { wrap } : {}) });
      check('sandboxed', command, r, out);
    };
    const commands: SandboxCommandCost[] = [];
    for (const command of COMMANDS) {
      // One untimed run of each first: the host probe, the page cache.
      await sandboxed(command);
      await plain(command);
      const p: number[] = [];
      const s: number[] = [];
      for (let i = 0; i < runs; i++) {
        for (const [fn, into] of (i % 2 ? [[plain, p], [sandboxed, s]] : [[sandboxed, s], [plain, p]]) as [(c: string) => Promise<void>, number[]][]) {
          const t = performance.now();
          await fn(command);
          into.push(performance.now() - t);
        }
      }
      const plainS = summarize(p);
      const sandboxedS = summarize(s);
      commands.push({ command, plain: plainS, sandboxed: sandboxedS, overheadMs: sandboxedS.medianMs - plainS.medianMs });
    }
    let execs: SandboxCost['execs'] = null;
    if (hasStrace()) {
      const log = join(root, 'execs.log');
      await sandboxed('true', (file, args) => ({ file: 'strace', args: ['-f', '-qq', '-e', 'trace=execve', '-e', 'signal=none', '-o', log, file, ...args] }));
      execs = countExecs(readFileSync(log, 'utf8'));
      if (execs.total === 0) problems.push('sandbox cost: strace counted no process of a sandboxed `true`');
    }
    return { commands, execs };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
