// Bounded capture of command output: the start and the end are kept (errors usually show
// at the end), the middle is dropped with a note saying how much.

/** Collects a stream of text in bounded memory: the first `headChars` and last `tailChars`. */
export class CappedOutput {
  private head = '';
  private tail = '';
  private total = 0;

  constructor(
    private readonly headChars: number,
    private readonly tailChars: number,
  ) {}

  push(chunk: string): void {
    this.total += chunk.length;
    if (this.head.length < this.headChars) {
      const room = this.headChars - this.head.length;
      this.head += chunk.slice(0, room);
      chunk = chunk.slice(room);
    }
    if (!chunk || this.tailChars === 0) return;
    this.tail += chunk;
    if (this.tail.length > 2 * this.tailChars) this.tail = this.tail.slice(-this.tailChars);
  }

  get totalChars(): number {
    return this.total;
  }

  get truncated(): boolean {
    return this.total > this.headChars + this.tailChars;
  }

  /** The last `n` characters seen (n ≤ tailChars, or the whole text when it fit). */
  last(n: number): string {
    return (this.head + this.tail).slice(-n);
  }

  toString(): string {
    const tail = this.tail.slice(-this.tailChars);
    if (!this.truncated) return this.head + this.tail;
    const dropped = this.total - this.head.length - tail.length;
    return `${this.head}\n[... ${dropped} characters truncated ...]\n${tail}`;
  }
}

/** `text` cut to at most about `limit` characters, head and tail kept, with a truncation note. */
export function capText(text: string, limit: number): string {
  const out = new CappedOutput(Math.floor(limit / 3), limit - Math.floor(limit / 3));
  out.push(text);
  return out.toString();
}
