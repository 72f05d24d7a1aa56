// Resident memory and CPU time of a process tree, read from /proc (Linux). The
// worker's figures include its children (git, node --test) only while they run,
// so RSS is sampled and the peak kept; CPU is the worker's own user+system time.
import { readFileSync, readdirSync } from 'node:fs';

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

/** Number of online CPUs as /proc sees them. */
export function cpuCount(): number {
  try {
    return readdirSync('/sys/devices/system/cpu').filter((n) => /^cpu\d+$/.test(n)).length || 1;
  } catch {
    return 1;
  }
}

/** Samples the peak RSS of some pids every intervalMs until stopped. */
export function samplePeakRss(pids: () => number[], intervalMs = 250): { stop(): number } {
  let peak = 0;
  const tick = () => {
    const total = pids().reduce((sum, pid) => sum + (rssMb(pid) ?? 0), 0);
    peak = Math.max(peak, total);
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      tick();
      return Math.round(peak);
    },
  };
}
