// The write side of confinement: a file tool may change a path only when it is inside the
// worktree (confine.ts), not lane machinery (.git), and matched by the packet's write manifest.
import picomatch from 'picomatch';
import type { ConfinedPath } from './confine.js';
import { ToolRefusal } from './tool-errors.js';

const matchers = new Map<string, (path: string) => boolean>();

function matcherFor(globs: readonly string[]): (path: string) => boolean {
  const key = JSON.stringify(globs);
  let m = matchers.get(key);
  if (!m) {
    m = globs.length === 0 ? () => false : picomatch([...globs], { dot: true });
    matchers.set(key, m);
  }
  return m;
}

/** Whether a worktree-relative POSIX path matches the write manifest (no manifest = everything). */
export function inWriteManifest(rel: string, writeManifest: readonly string[] | undefined): boolean {
  return writeManifest === undefined || matcherFor(writeManifest)(rel);
}

/**
 * Throws a ToolRefusal (class `manifest`) unless the confined path may be written. The check
 * is on where the write lands (`real`), so a symlink inside the manifest cannot redirect a
 * write to a file outside it.
 */
export function assertWritable(p: string, target: ConfinedPath, writeManifest: readonly string[] | undefined): void {
  if (target.rel === '') {
    throw new ToolRefusal('manifest', `path ${JSON.stringify(p)} refused: it is the worktree root, not a file`, 'Name a file inside the worktree.');
  }
  if (target.rel === '.git' || target.rel.startsWith('.git/')) {
    throw new ToolRefusal('manifest', `path ${JSON.stringify(p)} refused: .git is managed by Lanes, not by the agent`, 'Change source files only; Lanes commits them.');
  }
  if (!inWriteManifest(target.rel, writeManifest)) {
    throw new ToolRefusal(
      'manifest',
      `path ${JSON.stringify(p)} refused: ${target.rel} is outside the packet's write manifest (${(writeManifest ?? []).join(', ') || 'empty'})`,
      'Write only files the task packet lists in scope.writeManifest, or ask for the manifest to be widened.',
    );
  }
}
