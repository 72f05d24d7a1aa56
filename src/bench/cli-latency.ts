// 4. CLI latency: wall time of `lanes --help`, `lanes status <lane>` and
// `lanes list`, each a fresh process as a user or script runs it.
import { execa } from 'execa';
import { LANES_BIN, type BenchStack } from './stack.js';
import { summarize, type Summary } from './stats.js';

export type CliLatency = Record<string, Summary>;

export async function cliLatency(stack: BenchStack, laneId: string, runs: number, problems: string[]): Promise<CliLatency> {
  const commands: Record<string, string[]> = {
    'lanes --help': ['--help'],
    'lanes status': ['status', laneId, '--json'],
    'lanes list': ['list', '--json'],
  };
  const out: CliLatency = {};
  for (const [name, args] of Object.entries(commands)) {
    const samples: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      const r = await execa(process.execPath, [LANES_BIN, ...args], { env: stack.env, reject: false });
      samples.push(performance.now() - t);
      if (r.exitCode !== 0) problems.push(`${name} exited ${r.exitCode}: ${String(r.stderr).slice(-300)}`);
      else if (name === 'lanes status' && JSON.parse(String(r.stdout)).laneId !== laneId) problems.push(`${name} did not report lane ${laneId}`);
    }
    out[name] = summarize(samples);
  }
  return out;
}

/** Which path `lanes status` takes against this stack (LANES_DEBUG=1 names it): the HTTP API users of `lanes server` get, or gRPC. */
export async function cliReadPath(stack: BenchStack, laneId: string): Promise<'http api' | 'grpc'> {
  const r = await execa(process.execPath, [LANES_BIN, 'status', laneId, '--json'], { env: { ...stack.env, LANES_DEBUG: '1' }, reject: false });
  return / over the HTTP API at /.test(String(r.stderr)) ? 'http api' : 'grpc';
}
