// Torn-free file writes: readers see the old content or the new, never half of one.
// Lane artifacts (asynchronously), fault firing records and MCP pid files use it, so it
// sits below all of them.
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { laneFailure } from './failures.js';

/**
 * Writes a file so readers see the old content or the new, never a torn one: temp file in
 * the same directory, fsync, rename, fsync of the directory. Creates parent directories.
 * Blocks the calling thread for the disk's flush: the worker's hot path uses
 * writeFileAtomicAsync.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  const tmp = tempPathFor(path);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', 0o644);
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    throw writeFailed(path, err);
  }
  fsyncDir(dir);
}

/**
 * writeFileAtomic with every file-system call on libuv's threadpool: the same temp file,
 * fsync, rename and directory fsync, in the same order, so a crash at any point leaves the
 * old content or the new, never a torn file; the promise resolves once the new content
 * and its name are on disk. The worker's activities use it: a synchronous fsync blocks the
 * event loop (workflow tasks, heartbeats, every other lane) for the disk's flush time.
 */
export async function writeFileAtomicAsync(path: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(path);
  const tmp = tempPathFor(path);
  try {
    await mkdir(dir, { recursive: true });
    const fh = await open(tmp, 'wx', 0o644);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw writeFailed(path, err);
  }
  await fsyncDirAsync(dir);
}

function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

function writeFailed(path: string, err: unknown): Error {
  return laneFailure('infra', `could not write ${path}: ${(err as Error).message}`, {
    hint: 'Check that $LANES_HOME is on a writable disk with free space.',
  }, err as Error);
}

async function fsyncDirAsync(dir: string): Promise<void> {
  // As fsyncDir: best effort where a directory cannot be fsynced.
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    /* best effort */
  }
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
