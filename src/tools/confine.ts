// Path confinement for the agent's file tools: every path must stay inside the lane
// worktree after following symlinks, so no file tool can read or change anything outside.
import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, normalize, relative, resolve, sep } from 'node:path';
import { ToolRefusal } from './tool-errors.js';

export interface ConfinedPath {
  /** The agent's path joined to the root, symlinks not followed. */
  requested: string;
  /** Where the path lands after following every symlink; tools act on this path. */
  real: string;
  /** `real` relative to the real root with POSIX separators ('' for the root itself). */
  rel: string;
  /** realpath of the worktree root. */
  rootReal: string;
}

const HINT = 'Use a path relative to the worktree root (for example "src/index.ts") that stays inside it.';
const MAX_LINKS = 40;

function refuse(p: string, why: string): never {
  throw new ToolRefusal('workspace_mismatch', `path ${JSON.stringify(p)} refused: ${why}`, HINT);
}

function isInside(rootReal: string, candidate: string): boolean {
  return candidate === rootReal || candidate.startsWith(rootReal.endsWith(sep) ? rootReal : rootReal + sep);
}

/**
 * realpath that also works for paths that do not exist yet: the nearest existing ancestor
 * is resolved and the missing tail appended. Dangling symlinks are followed by hand,
 * because writing through one creates its target.
 */
function resolveReal(p: string, abs: string, depth = 0): string {
  if (depth > MAX_LINKS) refuse(p, 'too many levels of symbolic links');
  try {
    return realpathSync(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') refuse(p, 'too many levels of symbolic links');
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
  }
  let st;
  try {
    st = lstatSync(abs);
  } catch {
    st = undefined;
  }
  if (st?.isSymbolicLink()) {
    return resolveReal(p, resolve(dirname(abs), readlinkSync(abs)), depth + 1);
  }
  const parent = dirname(abs);
  if (parent === abs) return abs;
  return join(resolveReal(p, parent, depth), basename(abs));
}

/**
 * Resolves an agent-supplied path inside the worktree `root`, or throws a ToolRefusal
 * (class `workspace_mismatch`) naming the path: absolute paths, `..` escapes, and symlinks
 * anywhere in the path (the last component included; for a file that does not exist yet,
 * its nearest existing parent) whose target leaves the worktree's realpath.
 */
export function resolveInWorktree(root: string, p: string): ConfinedPath {
  if (p.includes('\0')) refuse(p, 'contains a NUL byte');
  if (isAbsolute(p)) refuse(p, 'absolute paths are not allowed');
  const norm = normalize(p === '' ? '.' : p);
  if (norm === '..' || norm.startsWith(`..${sep}`)) refuse(p, '".." leaves the worktree');

  const rootReal = realpathSync(root);
  const requested = join(rootReal, norm);
  const real = resolveReal(p, requested);
  if (!isInside(rootReal, real)) refuse(p, `it resolves through a symbolic link to ${real}, outside the worktree`);
  return { requested, real, rel: relative(rootReal, real).split(sep).join('/'), rootReal };
}
