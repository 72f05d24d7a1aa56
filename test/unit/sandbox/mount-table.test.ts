// The sandbox's mounts as data (src/sandbox/mount-table.ts): which entries go into one
// `mount -a --fstab` table, in which order, with which flags, and which ones must not (a
// table skips entries it thinks are mounted already, and anything onto "/").
import { describe, expect, it } from 'vitest';
import { fstabField, fstabText, mountOf, mountSteps, readHostMounts, type HostMount, type MountEntry, type PathKind, type SetupStep } from '../../../src/sandbox/mount-table.js';
import type { SandboxPlan } from '../../../src/sandbox/plan.js';

const MOUNTINFO = [
  '27 1 254:0 / / rw,relatime - ext4 /dev/vda rw',
  '30 27 0:27 / /tmp rw,nosuid,nodev - tmpfs tmpfs rw',
  '31 27 0:28 / /srv/media ro,nosuid,noatime - ext4 /dev/vdb ro',
  '32 27 0:29 / /srv/with\\040space rw,noexec,relatime - tmpfs t rw',
  '33 30 0:30 / /tmp/cache rw,relatime - tmpfs t rw',
  '34 33 0:31 / /tmp/cache ro,relatime - tmpfs t rw',
].join('\n');
const MOUNTS = readHostMounts(MOUNTINFO);

const HOME = '/home/u/.lanes';
const WT = `${HOME}/worktrees/lane-1`;
const STAGE = '/tmp/lanes-stage-AbC123';

function plan(over: Partial<SandboxPlan> = {}): SandboxPlan {
  return {
    cwd: WT,
    keep: [
      { path: WT, writable: true },
      { path: '/tmp/lanes-run-1', writable: true },
      { path: `${WT}/.git`, writable: false },
      { path: '/home/u/repo/.git', writable: false },
    ],
    hide: [HOME, '/home/u/.ssh', '/home/u/.netrc', '/home/u/.aws'],
    network: 'none',
    readOnlyRest: true,
    scratch: '/tmp/lanes-run-1',
    ...over,
  };
}

/** Folders unless named here; `.aws` does not exist. */
function kinds(extra: Record<string, PathKind> = {}): (p: string) => PathKind {
  const k: Record<string, PathKind> = { [`${WT}/.git`]: 'file', '/home/u/.netrc': 'file', '/home/u/.aws': 'missing', ...extra };
  return (p) => k[p] ?? 'dir';
}

const steps = (p: SandboxPlan, opts: { ownProc?: boolean; mounts?: HostMount[]; kindOf?: (p: string) => PathKind } = {}) =>
  mountSteps({ plan: p, stage: STAGE, ownProc: opts.ownProc ?? true, mounts: opts.mounts ?? MOUNTS, kindOf: opts.kindOf ?? kinds() });
const tableEntries = (s: SetupStep[]): MountEntry[] => s.flatMap((x) => (x.kind === 'table' ? x.entries : []));

describe('sandbox mount table', () => {
  it('reads mount points unescaped, and finds the mount a path lies on (the top one of a stack)', () => {
    expect(MOUNTS.map((m) => m.point)).toContain('/srv/with space');
    expect(mountOf('/srv/with space/x', MOUNTS)).toEqual({ readOnly: false, flags: ['noexec', 'relatime'] });
    expect(mountOf('/srv/media/a/b', MOUNTS)).toEqual({ readOnly: true, flags: ['nosuid', 'noatime'] });
    expect(mountOf('/tmp/cache/x', MOUNTS).readOnly).toBe(true);
    // Neither relatime nor noatime: strictatime must be asked for, or a user namespace refuses.
    expect(mountOf('/tmp/x', MOUNTS).flags).toEqual(['nosuid', 'nodev', 'strictatime']);
    expect(mountOf('/tmpfoo', MOUNTS).flags).toEqual(['relatime']);
  });

  it('the default plan is one table, in the order the view needs', () => {
    const { steps: s, stageEntries } = steps(plan());
    expect(s.map((x) => x.kind)).toEqual(['table']);
    expect(stageEntries).toEqual([
      { name: '1', dir: true },
      { name: '2', dir: true },
      { name: '3', dir: false },
      { name: '4', dir: true },
    ]);
    const lines = tableEntries(s).map((e) => `${e.source} ${e.target} ${e.options}`);
    expect(lines).toEqual([
      `${WT} ${STAGE}/1 bind`,
      `/tmp/lanes-run-1 ${STAGE}/2 bind`,
      `${WT}/.git ${STAGE}/3 bind`,
      `/home/u/repo/.git ${STAGE}/4 bind`,
      `lanes-hide-AbC123 ${HOME} size=64k,mode=755`,
      'lanes-hide-AbC123 /home/u/.ssh size=64k,mode=755',
      '/dev/null /home/u/.netrc bind',
      `1 ${WT} bind,X-mount.mkdir`,
      `lanes-remount-AbC123 ${WT} remount,bind,rw,relatime`,
      '2 /tmp/lanes-run-1 bind,X-mount.mkdir',
      'lanes-remount-AbC123 /tmp/lanes-run-1 remount,bind,rw,nosuid,nodev,strictatime',
      `3 ${WT}/.git bind`,
      `lanes-remount-AbC123 ${WT}/.git remount,bind,ro,relatime`,
      '4 /home/u/repo/.git bind,X-mount.mkdir',
      'lanes-remount-AbC123 /home/u/repo/.git remount,bind,ro,relatime',
      `lanes-seal-AbC123 ${HOME} remount,ro`,
      'lanes-seal-AbC123 /home/u/.ssh remount,ro',
      `lanes-stage-AbC123 ${STAGE} ro,size=4k,mode=700`,
      'lanes-proc-AbC123 /proc ro,nosuid,nodev,noexec',
    ]);
    // A missing path is not hidden (nothing to hide), and nothing else is mounted on /proc without a PID namespace.
    expect(lines.join('\n')).not.toContain('.aws');
    expect(tableEntries(steps(plan(), { ownProc: false }).steps).some((e) => e.target === '/proc')).toBe(false);
  });

  it('a kept path writable in the plan but read-only on the host stays read-only', () => {
    const p = plan({ keep: [...plan().keep, { path: '/srv/media/out', writable: true }] });
    const remounts = tableEntries(steps(p).steps).filter((e) => e.target === '/srv/media/out' && e.options.startsWith('remount'));
    expect(remounts.map((e) => e.options)).toEqual(['remount,bind,ro,nosuid,noatime']);
  });

  it('no two sandboxes share a tmpfs or proc source, so a table never skips one as mounted already', () => {
    const a = tableEntries(steps(plan()).steps);
    const b = tableEntries(mountSteps({ plan: plan(), stage: '/tmp/lanes-stage-Zz9', ownProc: true, mounts: MOUNTS, kindOf: kinds() }).steps);
    const sources = (es: MountEntry[]) => new Set(es.filter((e) => e.type !== 'none' || e.options.includes('remount')).map((e) => e.source));
    for (const s of sources(a)) expect(sources(b).has(s), s).toBe(false);
  });

  it('a bind onto a host mount point, onto an earlier target, or anything onto "/" is its own mount, never in a table', () => {
    const p = plan({
      keep: [...plan().keep, { path: '/srv/with space', writable: true }, { path: WT, writable: false }],
      hide: [...plan().hide, '/'],
    });
    const s = steps(p).steps;
    const alone = s.flatMap((x) => (x.kind === 'mount' ? [`${x.entry.source} ${x.entry.target}`] : []));
    expect(alone).toEqual(['lanes-hide-AbC123 /', '5 /srv/with space', `6 ${WT}`, 'lanes-seal-AbC123 /']);
    const tableBinds = tableEntries(s).filter((e) => e.options.split(',').includes('bind') && !e.options.includes('remount'));
    expect(tableBinds.map((e) => e.target)).not.toContain('/srv/with space');
    expect(tableBinds.filter((e) => e.target === WT).map((e) => e.source)).toEqual(['1']);
    expect(tableEntries(s).some((e) => e.target === '/')).toBe(false);
    // The order is kept across the split: the later read-only keep of the worktree comes after its writable bind.
    const order = s.flatMap((x) => (x.kind === 'table' ? x.entries.map((e) => `${e.source} ${e.target}`) : x.kind === 'mount' ? [`${x.entry.source} ${x.entry.target}`] : [x.path]));
    expect(order.indexOf(`6 ${WT}`)).toBeGreaterThan(order.indexOf(`1 ${WT}`));
  });

  it('a kept file inside a hidden folder gets an empty file to mount on; one inside a kept folder does not', () => {
    const secret = '/home/u/.ssh/known_hosts';
    const s = steps(plan({ keep: [...plan().keep, { path: secret, writable: false }] }), { kindOf: kinds({ [secret]: 'file' }) }).steps;
    expect(s.filter((x) => x.kind === 'create')).toEqual([{ kind: 'create', path: secret }]);
    // The worktree's .git file lies in the kept worktree, not in the empty tmpfs over $LANES_HOME.
    expect(s.some((x) => x.kind === 'create' && x.path === `${WT}/.git`)).toBe(false);
    // The create comes after the hide and before the bind onto it.
    const kindsAt = s.map((x) => x.kind);
    expect(kindsAt).toEqual(['table', 'create', 'table']);
  });

  it('danger_full_access: the staged binds are still covered, and the git dir is remounted read-only', () => {
    const p = plan({ keep: [{ path: '/home/u/repo/.git', writable: false }], hide: [], readOnlyRest: false, network: 'host' });
    const es = tableEntries(steps(p).steps);
    expect(es.map((e) => `${e.target} ${e.options}`)).toEqual([
      `${STAGE}/1 bind`,
      '/home/u/repo/.git bind,X-mount.mkdir',
      '/home/u/repo/.git remount,bind,ro,relatime',
      `${STAGE} ro,size=4k,mode=700`,
      '/proc ro,nosuid,nodev,noexec',
    ]);
    expect(es.some((e) => e.options.includes('rw'))).toBe(false);
  });

  it('a stage inside a hidden folder is not covered again (the hide covers it; relative sources still reach it)', () => {
    const p = plan({ hide: [...plan().hide, '/tmp'] });
    expect(tableEntries(steps(p).steps).some((e) => e.target === STAGE)).toBe(false);
  });

  it('fstab fields escape what would split or comment a line', () => {
    expect(fstabField('/a b\tc\\d#e\nf')).toBe('/a\\040b\\011c\\134d\\043e\\012f');
    expect(fstabText([{ source: '1', target: '/x y', type: 'none', options: 'bind' }])).toBe('1 /x\\040y none bind 0 0\n');
  });
});
