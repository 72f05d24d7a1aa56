// The mounts that build one sandbox's view, as data: what the setup script (namespace.ts)
// hands to util-linux `mount` in as few processes as possible. One `mount -a -o
// remount,bind,ro` makes every mount of the namespace read-only (it reads the namespace's own
// mount table, so a mount that appeared since the worker started is covered too); then one
// `mount -a --fstab <table>` per table below does the rest in order: the kept paths bound into
// a private stage, the hides, the kept paths bound back (each remounted read-only or, if kept
// writable and writable on the host, read-write), the hides sealed read-only, the stage
// covered, and a private /proc. A sandbox used to run ~35-45 `mount`/`mkdir` processes for
// this; it now runs two `mount` processes in the common case.
//
// `mount -a` (util-linux 2.38) skips an fstab entry it considers "already mounted" (same
// source and target as a line of the mount table when it started) and any entry whose target
// is "/". So every tmpfs and proc here has a source named for this sandbox alone, remounts
// have their own source label, and a bind onto a path that is (or was made in this setup) a
// mount point, or anything onto "/", is run as a separate `mount` rather than from a table.
// In a table a remount gets no flags from the mount it changes (a lone `mount -o remount`
// would merge them), so the flags a user namespace locks (nosuid, nodev, noexec, atime) are
// written out, read from the worker's mount table.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { isInside, type SandboxPlan } from './plan.js';

export interface HostMount {
  /** Mount point, unescaped. */
  point: string;
  /** Per-mount options (mountinfo field 6), e.g. rw,nosuid,nodev,relatime. */
  options: string[];
}

function unescapeMountPath(p: string): string {
  return p.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** The mounts of this process, in mountinfo order (a later entry on the same point is on top). */
export function readHostMounts(info: string = readFileSync('/proc/self/mountinfo', 'utf8')): HostMount[] {
  const mounts: HostMount[] = [];
  for (const line of info.split('\n')) {
    const fields = line.split(' ');
    if (fields.length < 6 || !fields[4]) continue;
    mounts.push({ point: unescapeMountPath(fields[4]), options: (fields[5] ?? '').split(',') });
  }
  return mounts;
}

/** Per-mount flags a bind remount must restate (a user namespace locks them). */
const KEPT_FLAGS = ['nosuid', 'nodev', 'noexec', 'noatime', 'nodiratime', 'relatime', 'nosymfollow'];

/** The mount `path` lies on: whether it is read-only, and the flags a remount of a bind of it keeps. */
export function mountOf(path: string, mounts: readonly HostMount[]): { readOnly: boolean; flags: string[] } {
  let best: HostMount | undefined;
  for (const m of mounts) if (isInside(path, m.point) && (!best || m.point.length >= best.point.length)) best = m;
  const options = best?.options ?? ['rw'];
  const flags = KEPT_FLAGS.filter((f) => options.includes(f));
  // Neither relatime nor noatime shown: strictatime, which a remount must ask for by name.
  if (!flags.includes('relatime') && !flags.includes('noatime')) flags.push('strictatime');
  return { readOnly: options.includes('ro'), flags };
}

/** One mount(8) call: source, target, filesystem type, options. */
export interface MountEntry {
  source: string;
  target: string;
  type: string;
  options: string;
}

export type SetupStep =
  /** `mount -a --fstab <file>`: a table of entries in order (the file is written in the stage). */
  | { kind: 'table'; entries: MountEntry[] }
  /** A separate `mount`, for an entry `mount -a` could skip. */
  | { kind: 'mount'; entry: MountEntry }
  /** An empty file as the mount point of a kept file inside a hidden folder. */
  | { kind: 'create'; path: string };

export type PathKind = 'dir' | 'file' | 'missing';

export function pathKind(p: string): PathKind {
  try {
    return statSync(p).isDirectory() ? 'dir' : 'file';
  } catch {
    return existsSync(p) ? 'file' : 'missing';
  }
}

export interface MountStepsInput {
  plan: SandboxPlan;
  /** The private stage folder (made by the caller, empty); kept path i is staged at `<stage>/<i>`. */
  stage: string;
  /** Mount a private /proc (the sandbox has its own PID namespace). */
  ownProc: boolean;
  mounts: readonly HostMount[];
  kindOf?: (p: string) => PathKind;
}

export interface MountSteps {
  /** What to make in the stage before the setup runs: `<stage>/<name>`, a folder or an empty file. */
  stageEntries: { name: string; dir: boolean }[];
  steps: SetupStep[];
}

/**
 * The mounts of one sandbox, in the order the old shell loop made them: stage binds, hides,
 * binds back (later kept paths win), seals, the stage covered, /proc. Relative sources name
 * stage entries: the setup runs them from inside the stage, which a hide over the stage's
 * parent therefore does not lose.
 */
export function mountSteps({ plan, stage, ownProc, mounts, kindOf = pathKind }: MountStepsInput): MountSteps {
  const tag = basename(stage).replace(/^lanes-(?:sandbox-)?stage-/, '');
  const label = (what: string) => `lanes-${what}-${tag}`;
  const hostPoints = new Set(mounts.map((m) => m.point));
  const entries: (MountEntry | { create: string })[] = [];
  const stageEntries = plan.keep.map((k, i) => ({ name: String(i + 1), dir: kindOf(k.path) === 'dir' }));

  plan.keep.forEach((k, i) => entries.push({ source: k.path, target: `${stage}/${i + 1}`, type: 'none', options: 'bind' }));
  const dirHides: string[] = [];
  for (const h of plan.hide) {
    const kind = kindOf(h);
    if (kind === 'dir') {
      dirHides.push(h);
      entries.push({ source: label('hide'), target: h, type: 'tmpfs', options: 'size=64k,mode=755' });
    } else if (kind === 'file') entries.push({ source: '/dev/null', target: h, type: 'none', options: 'bind' });
  }
  // A kept file needs an empty file to mount on when the innermost folder above it in the
  // sandbox's view is a hide (an empty tmpfs), not an earlier kept folder (host content).
  const depth = (p: string, dirs: string[]) => Math.max(-1, ...dirs.filter((d) => d !== p && isInside(p, d)).map((d) => d.length));
  const coveredByHide = (p: string, i: number) =>
    depth(p, dirHides) > depth(p, plan.keep.slice(0, i).filter((_k, j) => stageEntries[j]!.dir).map((k) => k.path));
  plan.keep.forEach((k, i) => {
    const dir = stageEntries[i]!.dir;
    if (!dir && coveredByHide(k.path, i)) entries.push({ create: k.path });
    entries.push({ source: String(i + 1), target: k.path, type: 'none', options: dir ? 'bind,X-mount.mkdir' : 'bind' });
    const host = mountOf(k.path, mounts);
    const rw = k.writable && !host.readOnly;
    entries.push({ source: label('remount'), target: k.path, type: 'none', options: ['remount', 'bind', rw ? 'rw' : 'ro', ...host.flags].join(',') });
  });
  for (const h of dirHides) entries.push({ source: label('seal'), target: h, type: 'tmpfs', options: 'remount,ro' });
  // The staged binds (writable ones too, when the rest is not read-only) go out of sight, as the
  // old `umount` of the stage did; a stage inside a hidden folder is out of sight already.
  if (!plan.hide.some((h) => isInside(stage, h))) entries.push({ source: label('stage'), target: stage, type: 'tmpfs', options: 'ro,size=4k,mode=700' });
  if (ownProc) entries.push({ source: label('proc'), target: '/proc', type: 'proc', options: 'ro,nosuid,nodev,noexec' });

  const steps: SetupStep[] = [];
  const targets = new Set<string>();
  let table: MountEntry[] = [];
  const flush = () => {
    if (table.length) steps.push({ kind: 'table', entries: table });
    table = [];
  };
  for (const e of entries) {
    if ('create' in e) {
      flush();
      steps.push({ kind: 'create', path: e.create });
      continue;
    }
    const bind = e.options.split(',').includes('bind') && !e.options.split(',').includes('remount');
    if (e.target === '/' || (bind && (hostPoints.has(e.target) || targets.has(e.target)))) {
      flush();
      steps.push({ kind: 'mount', entry: e });
    } else table.push(e);
    targets.add(e.target);
  }
  flush();
  return { stageEntries, steps };
}

/** An fstab field: whitespace, backslash and '#' written as octal escapes (libmount unescapes them). */
export function fstabField(s: string): string {
  return s.replace(/[\\\s#]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

export function fstabText(entries: readonly MountEntry[]): string {
  return entries.map((e) => [e.source, e.target, e.type, e.options].map(fstabField).join(' ') + ' 0 0\n').join('');
}
