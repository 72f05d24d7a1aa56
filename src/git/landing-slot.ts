// Landing under contention on one host: lanes that land on the same remote target take turns
// between building their candidate and pushing it, so they do not all test candidates that
// all but one push would make stale. A turn is a slot held by one lane id; it is given back
// when the push is decided (or the candidate dropped), and taken over when its holder has
// not finished within SLOT_HOLD_MS (a blocked or lost lane never stops the others). A lane
// waits at most SLOT_WAIT_MS, then builds its candidate anyway: the push is a compare-and-swap
// either way, so the slot only saves wasted test runs, it never decides correctness.
// In-process: lanes on other hosts still race, and lose only by target_moved (merge forward, retry).

/** A slot nobody released within this is taken over (a candidate's tests, a push). */
export const SLOT_HOLD_MS = 3 * 60_000;
/** A lane waits this long for its turn (below the git step's 2 min timeout). */
export const SLOT_WAIT_MS = 75_000;
const POLL_MS = 100;

const slots = new Map<string, { laneId: string; since: number }>();

export function landingSlotKey(mirror: string, target: string): string {
  return `${mirror}\0${target}`;
}

/** Waits for the slot of `key`, then holds it for `laneId`. Returns how long it waited (ms). */
export async function takeLandingSlot(key: string, laneId: string, opts: { waitMs?: number; holdMs?: number } = {}): Promise<number> {
  const started = Date.now();
  const waitMs = opts.waitMs ?? SLOT_WAIT_MS;
  const holdMs = opts.holdMs ?? SLOT_HOLD_MS;
  for (;;) {
    const now = Date.now();
    const held = slots.get(key);
    if (!held || held.laneId === laneId || now - held.since > holdMs || now - started >= waitMs) {
      slots.set(key, { laneId, since: now });
      return now - started;
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** Gives the slot back when `laneId` holds it; anything else is left alone. */
export function releaseLandingSlot(key: string, laneId: string): void {
  if (slots.get(key)?.laneId === laneId) slots.delete(key);
}

/** Releases every slot `laneId` holds (removeCandidate, closeout: the target is not known there). */
export function releaseLandingSlotsOf(laneId: string): void {
  for (const [key, held] of slots) if (held.laneId === laneId) slots.delete(key);
}
