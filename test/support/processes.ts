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
