// Resident memory and CPU time of worker processes, read from /proc (Linux). A
// worker's figures include its long-lived helpers (the git host, MCP servers: its
// direct children running Lanes' own code), which are part of what a worker costs;
// not the short-lived commands it runs (git, sandboxed tests), whose CPU reaches the
// worker's (or the helper's) figures when they are reaped. RSS is sampled and the
// peak kept; CPU is user+system time including reaped children.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The Lanes install (its dist/ and bin/): a helper runs a file under it. */
const LANES_ROOT = dirname(dirname(dirname(fileURLToPath(import.meta.url))));

const CLOCK_TICKS = 100;

/** Resident set size of pid in MB, or undefined when it is gone. */
export function rssMb(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** User + system CPU seconds pid has used (children it waited for included). */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime, stime, cutime, cstime are fields 14-17 (1-based) of the full line.
    const [utime, stime, cutime, cstime] = [11, 12, 13, 14].map((i) => Number(fields[i]));
    return (utime! + stime! + cutime! + cstime!) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** Direct children of pid (every thread's children list). */
export function childPids(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
    );
  } catch {
    return [];
  }
}

/** Children of a worker that run Lanes' own code under node (git host, MCP servers of our own). */
export function helperPids(pid: number): number[] {
  let own: string;
  try {
    own = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return [];
  }
  return childPids(pid).filter((c) => {
    try {
      const cmdline = readFileSync(`/proc/${c}/cmdline`, 'utf8');
      // Between fork() and exec() a child is a copy of the worker (same command line, its pages shared): not a helper.
      if (cmdline === own) return false;
      const argv = cmdline.split('\0');
      return readFileSync(`/proc/${c}/comm`, 'utf8').trim() === 'node' && argv.slice(1).some((a) => a.startsWith(LANES_ROOT + '/'));
    } catch {
      return false;
    }
  });
}

/** Workers plus their helpers. */
export function withHelpers(pids: readonly number[]): number[] {
  return pids.flatMap((p) => [p, ...helperPids(p)]);
}

/**
 * CPU seconds of processes that come and go (a helper may start after the first reading):
 * the sum over every pid seen, from its first reading (0 if it started after `start`).
 */
export function cpuMeter(pids: () => number[]): { sample(): void; seconds(): number } {
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  let started = false;
  const sample = () => {
    for (const p of pids()) {
      const s = cpuSeconds(p);
      if (s === undefined) continue;
      if (!first.has(p)) first.set(p, started ? 0 : s);
      last.set(p, s);
    }
    started = true;
  };
  sample();
  return { sample, seconds: () => [...last].reduce((t, [p, s]) => t + s - first.get(p)!, 0) };
}

/** Number of online CPUs as /proc sees them. */
export function cpuCount(): number {
  try {
    return readdirSync('/sys/devices/system/cpu').filter((n) => /^cpu\d+$/.test(n)).length || 1;
  } catch {
    return 1;
  }
}

/**
 * Samples every intervalMs until stopped: the peak RSS of the workers with their helpers,
 * and of the workers alone, both from the same readings.
 */
export function samplePeakRss(workers: () => number[], intervalMs = 250): { stop(): { withHelpers: number; alone: number } } {
  let peak = 0;
  let alonePeak = 0;
  const tick = () => {
    let alone = 0;
    let helpers = 0;
    for (const pid of workers()) {
      alone += rssMb(pid) ?? 0;
      for (const h of helperPids(pid)) helpers += rssMb(h) ?? 0;
    }
    alonePeak = Math.max(alonePeak, alone);
    peak = Math.max(peak, alone + helpers);
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      tick();
      return { withHelpers: Math.round(peak), alone: Math.round(alonePeak) };
    },
  };
}
