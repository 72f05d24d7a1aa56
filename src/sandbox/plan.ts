// What the sandbox of one lane command looks like: which paths stay writable, which are
// read-only, which are hidden, and what network it gets. Pure path logic, built from the
// lane's worktree, the packet's `sandbox` settings and the worker's own settings.
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve, sep } from 'node:path';
import type { PermissionMode } from '../packet/schema.js';

export type SandboxNetwork = 'none' | 'loopback' | 'host';

/** The packet's `sandbox` section (defaults applied by the packet schema). */
export interface SandboxSettings {
  network: SandboxNetwork;
  readOnly: string[];
  writable: string[];
  hide: string[];
}

export const DEFAULT_SANDBOX_SETTINGS: SandboxSettings = { network: 'none', readOnly: [], writable: [], hide: [] };

/** Home-relative paths hidden from every lane command (credentials, Lanes' own state). */
export const DEFAULT_HIDDEN_HOME_PATHS = ['.ssh', '.aws', '.config/gcloud', '.lanes', '.config/temporalio', '.gnupg', '.netrc', '.docker/config.json', '.kube'];

export interface SandboxPlan {
  /** Where the command starts. */
  cwd: string;
  /** Paths bound back on top of the read-only view, in order (later wins). */
  keep: { path: string; writable: boolean }[];
  /** Paths covered by an empty read-only tmpfs (or /dev/null for files). */
  hide: string[];
  network: SandboxNetwork;
  /** Every other mount read-only (false only in danger_full_access). */
  readOnlyRest: boolean;
  /** The per-command scratch dir (TMPDIR). */
  scratch: string;
}

export class SandboxPlanError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

export interface PlanInput {
  /** $LANES_HOME of the worker. */
  home: string;
  /** The lane worktree or candidate: the only writable repository checkout. */
  root: string;
  scratch: string;
  permissionMode: PermissionMode;
  settings?: Partial<SandboxSettings>;
  /** Whether this worker lets packets ask for `network: host` (config sandbox.allowHostNetwork). */
  allowHostNetwork?: boolean;
  /** Home directory whose credential folders are hidden (default: os.homedir()). */
  userHome?: string;
  /**
   * Folders of this lane inside $LANES_HOME that Lanes itself made for the command and keeps
   * writable (an external agent's config and session dir, so a retried pass can resume).
   */
  laneDirs?: string[];
  /** The root is bound read-only too (an external agent in a read_only lane). */
  rootReadOnly?: boolean;
}

/** `~/x` -> `<home>/x`; anything else must be absolute. */
export function expandPath(p: string, userHome: string = homedir()): string {
  if (p === '~') return userHome;
  if (p.startsWith('~/')) return join(userHome, p.slice(2));
  return p;
}

/** The path with symlinks resolved as far as it exists (so binds and hides hit the real mount). */
function realish(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
}

/** Whether `child` is `parent` or lies below it (paths already resolved). */
export function isInside(child: string, parent: string): boolean {
  return child === parent || child.startsWith(parent.endsWith(sep) ? parent : parent + sep);
}

/**
 * The git dirs a worktree uses: its own `.git` (a dir, or a gitfile pointing into the
 * common dir's `worktrees/<name>`) and the common dir with objects, refs, config, hooks.
 */
export function gitDirsOf(root: string): string[] {
  const dotGit = join(root, '.git');
  if (!existsSync(dotGit)) return [];
  if (statSync(dotGit).isDirectory()) return [dotGit];
  const m = /^gitdir:\s*(.+?)\s*$/m.exec(readFileSync(dotGit, 'utf8'));
  if (!m) return [dotGit];
  const gitdir = resolve(root, m[1]!);
  const commondirFile = join(gitdir, 'commondir');
  const common = existsSync(commondirFile) ? resolve(gitdir, readFileSync(commondirFile, 'utf8').trim()) : gitdir;
  return [dotGit, realish(common)];
}

function checkedPaths(field: string, paths: readonly string[], userHome: string): string[] {
  return paths.map((raw, i) => {
    const p = expandPath(raw, userHome);
    if (!isAbsolute(p) || p.includes('\0') || p.split(/[\\/]/).includes('..')) {
      throw new SandboxPlanError(`sandbox.${field}[${i}] ${JSON.stringify(raw)} is not an absolute path`, 'Write sandbox paths as absolute paths or ~/..., without "..".');
    }
    return realish(p);
  });
}

/** The sandbox plan for one command of a lane. */
export function planSandbox(input: PlanInput): SandboxPlan {
  const settings = { ...DEFAULT_SANDBOX_SETTINGS, ...input.settings };
  const userHome = input.userHome ?? homedir();
  const home = realish(input.home);
  const root = realish(input.root);
  const scratch = realish(input.scratch);
  const gitDirs = gitDirsOf(root);

  if (input.permissionMode === 'danger_full_access') {
    // The packet author's explicit opt-out: everything writable, host network, nothing hidden,
    // except that the repository's git dir stays read-only so no hook or config can persist.
    return { cwd: root, keep: gitDirs.map((path) => ({ path, writable: false })), hide: [], network: 'host', readOnlyRest: false, scratch };
  }

  if (settings.network === 'host' && !input.allowHostNetwork) {
    throw new SandboxPlanError(
      'the packet asks for sandbox.network "host" but this worker does not allow host network for lane commands',
      'Use sandbox.network "loopback" for local test servers, or set "sandbox": {"allowHostNetwork": true} in $LANES_HOME/config.json on the worker (or LANES_SANDBOX_ALLOW_HOST_NETWORK=1).',
    );
  }
  const writable = checkedPaths('writable', settings.writable, userHome);
  const readOnly = checkedPaths('readOnly', settings.readOnly, userHome);
  const extraHide = checkedPaths('hide', settings.hide, userHome);
  for (const [field, list] of [['writable', writable], ['readOnly', readOnly]] as const) {
    for (const p of list) {
      if (isInside(p, home) || isInside(home, p)) {
        throw new SandboxPlanError(`sandbox.${field} ${p} overlaps $LANES_HOME (${home}), which lane commands never see`, 'Remove the entry; a lane sees only its own worktree of $LANES_HOME.');
      }
    }
  }
  const laneDirs = (input.laneDirs ?? []).map(realish);
  for (const p of laneDirs) {
    if (!isInside(p, home) || p === home) throw new SandboxPlanError(`lane dir ${p} is not a folder of one lane inside $LANES_HOME (${home})`, 'This is a Lanes bug: only a lane\'s own folders are bound into its sandbox.');
  }
  const hide = [
    home,
    ...DEFAULT_HIDDEN_HOME_PATHS.map((p) => realish(join(userHome, p))),
    ...extraHide,
  ].filter((p, i, all) => all.indexOf(p) === i);
  return {
    cwd: root,
    keep: [
      ...writable.map((path) => ({ path, writable: true })),
      ...readOnly.map((path) => ({ path, writable: false })),
      { path: root, writable: input.rootReadOnly !== true },
      { path: scratch, writable: true },
      ...laneDirs.map((path) => ({ path, writable: true })),
      // Last, so nothing above can make the repository's git dir writable again.
      ...gitDirs.map((path) => ({ path, writable: false })),
    ],
    hide,
    network: settings.network,
    readOnlyRest: true,
    scratch,
  };
}
