// Process checks for tests that kill things (Linux /proc).
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Whether pid is still a live (not zombie) process after ~2 s of polling. */
export async function isRunningSoon(pid: number): Promise<boolean> {
  for (let i = 0; i < 20; i++) {
    let state: string | undefined;
    try {
      state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    } catch {
      return false;
    }
    if (state === 'Z' || state === 'X') return false;
    await sleep(100);
  }
  return true;
}

/**
 * Live host processes whose command line contains `needle`, after ~2 s of polling for them
 * to go. For commands in a PID namespace, whose `$!` means nothing on the host.
 */
export async function processesWithCmdline(needle: string): Promise<number[]> {
  const { readdirSync } = await import('node:fs');
  let found: number[] = [];
  for (let i = 0; i < 20; i++) {
    found = [];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
        const state = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]?.[0];
        if (cmd.includes(needle) && state !== 'Z' && state !== 'X') found.push(Number(entry));
      } catch {
        /* gone */
      }
    }
    if (found.length === 0) return found;
    await sleep(100);
  }
  return found;
}
