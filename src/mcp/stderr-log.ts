// One append-only log file for the stderr of every server in a session, each
// line prefixed with its server name so interleaved output stays readable.
import { type WriteStream, createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { redact } from '../redact/secrets.js';

export class StderrLog {
  private stream: WriteStream | undefined;
  /** Unterminated last line per server, held until its newline arrives. */
  private readonly partial = new Map<string, string>();

  constructor(readonly path: string) {}

  write(server: string, text: string): void {
    const lines = ((this.partial.get(server) ?? '') + text).split('\n');
    this.partial.set(server, lines.pop() ?? '');
    if (lines.length > 0) this.open().write(lines.map((l) => `[${server}] ${redact(l)}\n`).join(''));
  }

  /** Flushes held partial lines and closes the file. */
  async close(): Promise<void> {
    for (const [server, rest] of this.partial) if (rest) this.open().write(`[${server}] ${redact(rest)}\n`);
    this.partial.clear();
    const stream = this.stream;
    this.stream = undefined;
    if (stream) await new Promise<void>((resolve) => stream.end(resolve));
  }

  private open(): WriteStream {
    if (!this.stream) {
      mkdirSync(dirname(this.path), { recursive: true });
      this.stream = createWriteStream(this.path, { flags: 'a' });
      // A full disk must not crash the worker over a log line.
      this.stream.on('error', () => {});
    }
    return this.stream;
  }
}
