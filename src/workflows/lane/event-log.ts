// Writing a lane's events to events.jsonl on its host. The events are already
// durable in the workflow's history; the file is their readable copy, so a write
// need not hold the lane up: it goes out beside the next step (one workflow task
// for both), in seq order, one write in flight at a time. Everything is written
// before the lane waits for a person, continues as new, or ends (flush()).
import { isCancellation, patched } from '@temporalio/workflow';
import type { LaneEvent } from '../events.js';
import type { HostActivities } from './activity-profiles.js';

/** Patch marker: events are written beside the next step (older runs wait for each write before going on). */
export const FLUSH_BESIDE_PATCH = 'lanes-flush-beside-next-step';

/** The part of LaneRun the log reads and writes (flushedSeq is carried across continue-as-new). */
export interface EventLogOwner {
  readonly laneId: string;
  readonly events: LaneEvent[];
  flushedSeq: number;
  hostQueue: string | null;
  acts: HostActivities;
}

export class EventLog {
  /** The write in flight (never rejects: a failure is kept in `failure`). */
  private inFlight: Promise<void> | null = null;
  /** A write is queued behind the one in flight; it takes every event pending when it starts. */
  private queued = false;
  private failure: { error: unknown } | null = null;

  constructor(private readonly owner: EventLogOwner) {}

  /** The events after flushedSeq: seqs are consecutive, so walk back from the end. */
  pending(): LaneEvent[] {
    const { events, flushedSeq } = this.owner;
    let i = events.length;
    while (i > 0 && events[i - 1]!.seq > flushedSeq) i--;
    return events.slice(i);
  }

  /** Writes every pending event and waits for it (and for the write in flight). */
  flush(): Promise<void> {
    // Nothing in flight: the write is scheduled at once, as older runs did (their command order replays).
    if (this.inFlight || this.failure) return this.settled().then(() => this.write());
    return this.write();
  }

  /**
   * Waits for the write in flight. A write that failed (after its retries) throws here,
   * once, as the lane's failure; its events stay pending for the next flush.
   */
  async settled(): Promise<void> {
    if (this.inFlight) await this.inFlight;
    this.rethrow();
  }

  /** Starts writing the pending events beside the next step; older runs write and wait (flush). */
  async soon(): Promise<void> {
    if (!patched(FLUSH_BESIDE_PATCH)) return this.flush();
    this.rethrow();
    if (this.queued) return;
    const prev = this.inFlight;
    // Nothing in flight: the write is scheduled now, in the same workflow task as the next step.
    const next = prev
      ? prev.then(() => {
          this.queued = false;
          return this.failure ? undefined : this.write();
        })
      : this.write();
    this.queued = prev !== null;
    const tracked: Promise<void> = next
      .catch((err: unknown) => {
        // A cancelled lane's write is not lost: its events stay pending and closeout writes them.
        if (!isCancellation(err)) this.failure ??= { error: err };
      })
      .then(() => {
        if (this.inFlight === tracked) this.inFlight = null;
      });
    this.inFlight = tracked;
  }

  private rethrow(): void {
    const f = this.failure;
    if (!f) return;
    this.failure = null;
    throw f.error;
  }

  private async write(): Promise<void> {
    const pending = this.pending();
    if (pending.length === 0) return;
    const { owner } = this;
    const host = owner.hostQueue;
    await owner.acts.misc.recordEvents({ laneId: owner.laneId, events: pending });
    // A write that ended after the lane moved to another host (hosts.ts) reached the old host's file.
    if (owner.hostQueue === host) owner.flushedSeq = Math.max(owner.flushedSeq, pending[pending.length - 1]!.seq);
  }
}
