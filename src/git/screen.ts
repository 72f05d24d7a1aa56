// The landing screen: what a lane's diff adds that tests cannot judge. Symlinks that point
// out of the repository, oversized files, new executable bits, submodules and changes to
// git's own in-tree config files (.gitattributes can name filter drivers, .gitmodules fetch
// URLs). Read from git objects only — never from the worktree, which the agent controls.
import { posix } from 'node:path';
import type { ScreenAction, ScreenSettings } from '../packet/schema.js';
import { runGit } from './client.js';

export type ScreenKind = 'symlinkOutside' | 'largeFile' | 'executable' | 'submodule' | 'gitConfig';

export interface ScreenFinding {
  kind: ScreenKind;
  path: string;
  /** What was found, e.g. "-> /etc/passwd" or "20971520 bytes > 5000000". */
  detail: string;
  action: ScreenAction;
}

export interface ScreenResult {
  findings: ScreenFinding[];
  refused: ScreenFinding[];
  blocked: ScreenFinding[];
}

/** .git* files that only tune ignores, not how git runs. */
const HARMLESS_GIT_FILES = new Set(['.gitignore', '.gitkeep']);
const ZERO_SHA = /^0+$/;

interface RawEntry {
  oldMode: string;
  newMode: string;
  newSha: string;
  status: string;
  path: string;
}

/** `git diff --raw -z` entries: ":<old mode> <new mode> <old sha> <new sha> <status>\0<path>\0". */
function parseRaw(out: string): RawEntry[] {
  const parts = out.split('\0');
  const entries: RawEntry[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const head = parts[i]!;
    if (!head.startsWith(':')) break;
    const [oldMode, newMode, , newSha, status] = head.slice(1).split(' ');
    entries.push({ oldMode: oldMode!, newMode: newMode!, newSha: newSha!, status: status!, path: parts[i + 1]! });
  }
  return entries;
}

/** Whether a symlink at `path` with `target` resolves outside the repository (or into .git). */
export function symlinkLeaves(path: string, target: string): boolean {
  if (target.startsWith('/') || /^[A-Za-z]:[\\/]/.test(target) || target.startsWith('\\')) return true;
  const resolved = posix.normalize(posix.join(posix.dirname(path), target.replace(/\\/g, '/')));
  if (resolved === '..' || resolved.startsWith('../')) return true;
  return resolved === '.git' || resolved.startsWith('.git/');
}

async function blobSizes(dir: string, shas: string[]): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  // One git process per sha would be slow on big diffs; cat-file --batch-check reads stdin,
  // which runGit does not feed, so sizes come from ls-tree -l of the whole head instead.
  if (shas.length === 0) return sizes;
  const out = await runGit(dir, ['ls-tree', '-r', '-l', '-z', 'HEAD']);
  const wanted = new Set(shas);
  for (const rec of out.split('\0')) {
    const m = /^\d+ blob ([0-9a-f]+)\s+(\d+)\t/.exec(rec);
    if (m && wanted.has(m[1]!)) sizes.set(m[1]!, Number(m[2]));
  }
  return sizes;
}

/** Screens the diff of HEAD in `dir` against its merge base with `base`. */
export async function screenDiff(dir: string, base: string, settings: ScreenSettings): Promise<ScreenResult> {
  const out = await runGit(dir, ['diff', '--raw', '-z', '--no-renames', '--no-abbrev', `${base}...HEAD`]);
  const entries = parseRaw(out);
  const findings: ScreenFinding[] = [];
  const add = (kind: ScreenKind, path: string, detail: string): void => {
    const action = settings[kind];
    if (action !== 'allow') findings.push({ kind, path, detail, action });
  };
  const present = entries.filter((e) => !ZERO_SHA.test(e.newSha));
  const sizes = await blobSizes(dir, present.filter((e) => e.newMode.startsWith('100')).map((e) => e.newSha));
  for (const e of entries) {
    const name = posix.basename(e.path);
    if (e.path === '.gitmodules' || e.newMode === '160000' || e.oldMode === '160000') {
      add('submodule', e.path, e.newMode === '160000' ? 'adds or changes a submodule' : `${e.status === 'D' ? 'removes' : 'changes'} ${e.path}`);
    } else if (name.startsWith('.git') && !HARMLESS_GIT_FILES.has(name)) {
      add('gitConfig', e.path, `${e.status === 'D' ? 'removes' : 'changes'} a git config file`);
    }
    if (ZERO_SHA.test(e.newSha)) continue;
    if (e.newMode === '120000') {
      const target = await runGit(dir, ['cat-file', 'blob', e.newSha]);
      if (symlinkLeaves(e.path, target)) add('symlinkOutside', e.path, `-> ${target.slice(0, 200)}`);
    }
    if (e.newMode === '100755' && e.oldMode !== '100755') add('executable', e.path, e.oldMode === '000000' ? 'new executable file' : `mode ${e.oldMode} -> 100755`);
    const size = sizes.get(e.newSha);
    if (size !== undefined && size > settings.maxFileBytes) add('largeFile', e.path, `${size} bytes > ${settings.maxFileBytes}`);
  }
  return { findings, refused: findings.filter((f) => f.action === 'refuse'), blocked: findings.filter((f) => f.action === 'block') };
}
