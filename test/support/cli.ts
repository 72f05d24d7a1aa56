// Runs the BUILT `lanes` CLI as a child process, as users and automations do.
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';

export const LANES_BIN = fileURLToPath(new URL('../../bin/lanes.js', import.meta.url));

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** stdout as exactly one JSON document (JSON mode prints each on one line). */
  json<T = any>(): T;
  /** stdout as JSON Lines: every line must be one JSON document (strict: a non-JSON line throws). */
  jsonLines<T = any>(): T[];
}

/** Parses JSON Lines strictly, naming the line that is not a JSON document. */
export function parseJsonLines<T = any>(stdout: string): T[] {
  return stdout
    .split('\n')
    .filter((l, i, all) => l !== '' || i < all.length - 1)
    .map((l, i) => {
      try {
        return JSON.parse(l) as T;
      } catch {
        throw new Error(`stdout line ${i + 1} is not one JSON document: ${l.slice(0, 200)}`);
      }
    });
}

export async function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {}): Promise<CliResult> {
  const r = await execa(process.execPath, [LANES_BIN, ...args], {
    env: { ...process.env, ...opts.env },
    reject: false,
    timeout: opts.timeoutMs ?? 120_000,
    cwd: opts.cwd,
  });
  return {
    exitCode: r.exitCode ?? -1,
    stdout: String(r.stdout),
    stderr: String(r.stderr),
    json: () => JSON.parse(String(r.stdout)),
    jsonLines: () => parseJsonLines(String(r.stdout)),
  };
}

/** Starts a long-running command (server, worker, up) and waits for its first JSON line. */
export async function spawnCli(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; readyTimeoutMs?: number } = {},
): Promise<{ proc: ResultPromise; ready: any; lines: string[] }> {
  const proc = execa(process.execPath, [LANES_BIN, '--json', ...args], { env: { ...process.env, ...opts.env }, reject: false, buffer: false });
  const lines: string[] = [];
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const ready = await new Promise<any>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`no ready line from lanes ${args.join(' ')} within timeout; stderr: ${stderr.slice(-2000)}`)), opts.readyTimeoutMs ?? 90_000);
    proc.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        lines.push(line);
        if (lines.length === 1) {
          clearTimeout(timer);
          try {
            resolve(JSON.parse(line));
          } catch {
            reject(new Error(`first line is not JSON: ${line}`));
          }
        }
      }
    });
    void proc.then((r) => {
      clearTimeout(timer);
      reject(new Error(`lanes ${args.join(' ')} exited (${r.exitCode}) before ready; stderr: ${stderr.slice(-2000)}`));
    });
  });
  return { proc, ready, lines };
}
