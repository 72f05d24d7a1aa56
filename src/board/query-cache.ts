// What a workflow answers to its queries, cached for the board: a closed workflow's answer
// never changes, so it is asked once per run; a running one's when its history grew or the
// TTL passed. Many viewers then cost the server one query per change, not one per viewer.
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';

export interface Queried<T> {
  value: T | null;
  /** Why there is no value (no worker answered), if there is none. */
  error: string | null;
  fetchedAt: number;
}

export type ExecutionInfo = Omit<WorkflowExecutionInfo, 'raw'>;

export class QueryCache<T> {
  private readonly entries = new Map<string, Queried<T> & { key: string }>();

  constructor(
    private readonly client: Client,
    /** What the queries are about, for the error text ("the lane's queries"). */
    private readonly what: string,
    private readonly runningTtlMs: number,
    private readonly queryTimeoutMs: number,
  ) {}

  async get(info: ExecutionInfo, ask: (info: ExecutionInfo) => Promise<T>, now: number): Promise<Queried<T>> {
    const running = info.status.name === 'RUNNING';
    const key = `${info.runId}:${running ? info.historyLength : 'closed'}`;
    const cached = this.entries.get(info.workflowId);
    // A closed workflow whose queries failed (no worker then) is asked again after the TTL.
    if (cached && cached.key === key) {
      const settled = !running && cached.error === null;
      if (settled || now - cached.fetchedAt < this.runningTtlMs) return cached;
    }
    let entry: Queried<T>;
    try {
      entry = { value: await this.client.withDeadline(Date.now() + this.queryTimeoutMs, () => ask(info)), error: null, fetchedAt: now };
    } catch (e) {
      entry = { value: null, error: `no worker answered ${this.what} (${(e as Error).message.split('\n')[0]!.slice(0, 120)})`, fetchedAt: now };
    }
    this.entries.set(info.workflowId, { ...entry, key });
    return entry;
  }
}
