// Torn-free file writes: readers see the old content or the new, never half of one.
// Lane artifacts, fault firing records, MCP pid files and in-flight records use it, so it
// sits below all of them.
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { laneFailure } from './failures.js';

/**
 * Writes a file so readers see the old content or the new, never a torn one: temp file in
 * the same directory, fsync, rename, fsync of the directory. Creates parent directories.
 * `durable: false` skips both fsyncs: still torn-free, and it survives a crash of this
 * process (the page cache does), only not a power loss; for records that are worth a
 * timeout at most when lost, written on the worker's hot path (fsync blocks its thread).
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, opts: { durable?: boolean } = {}): void {
  const durable = opts.durable ?? true;
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', 0o644);
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    if (durable) fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    throw laneFailure('infra', `could not write ${path}: ${(err as Error).message}`, {
      hint: 'Check that $LANES_HOME is on a writable disk with free space.',
    }, err as Error);
  }
  if (durable) fsyncDir(dir);
}

function fsyncDir(dir: string): void {
  // Makes the rename itself durable; some platforms cannot fsync a directory, which is fine.
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    /* best effort */
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
