// A read-only step started early, beside the step before it, so both go out in
// one workflow task. Its outcome is still taken — and, on failure, decided by
// withRecovery — at the point where the lane would have run it; only the first
// attempt is the early one, every later attempt runs the step afresh.
export class EarlyStart<T> {
  private started: Promise<T> | null;

  constructor(started: Promise<T>) {
    // Awaited later (or discarded): until then a failure must not count as unhandled.
    started.catch(() => undefined);
    this.started = started;
  }

  /** The early attempt the first time, then `again()`. */
  take(again: () => Promise<T>): Promise<T> {
    const p = this.started ?? again();
    this.started = null;
    return p;
  }

  /** What the early attempt read may have changed since: the step runs afresh. */
  discard(): void {
    this.started = null;
  }
}
