// The sandbox's read-only view, with real processes: every mount the worker can write is
// read-only inside (the one `mount -a -o remount,bind,ro` covers each of them), nothing
// but the kept paths is writable, a mount already read-only on the host stays so even when a
// packet lists it as writable, and a non-root worker (user namespace) keeps a worktree that
// lies on a nosuid,nodev,noexec,noatime mount writable with those flags intact.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFixtureRepo } from '../../../src/demo/fixture-repo.js';
import { readHostMounts } from '../../../src/sandbox/mount-table.js';
import { runSandboxed, sandboxFeatures } from '../../../src/sandbox/index.js';

let root: string;
let home: string;
let wt: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'lanes-roview-'));
  home = join(root, 'home');
  const repo = await createFixtureRepo(join(root, 'repo'));
  wt = join(home, 'worktrees', 'lane-1');
  mkdirSync(join(home, 'worktrees'), { recursive: true });
  await repo.git('worktree', 'add', '-q', '-b', 'lanes/lane-1', wt);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function sandboxed(command: string): Promise<{ exitCode: number | null; out: string }> {
  let out = '';
  const r = await runSandboxed({ home, root: wt, permissionMode: 'workspace_write', command, timeoutMs: 30_000, onOutput: (c) => (out += c) });
  return { exitCode: r.exitCode, out };
}

/** Distinct mount points in mountinfo text whose top mount is writable. */
function writableTops(info: string): string[] {
  const top = new Map<string, string[]>();
  for (const m of readHostMounts(info)) top.set(m.point, m.options);
  return [...top].filter(([, o]) => o.includes('rw')).map(([p]) => p);
}

describe('sandbox read-only view', () => {
  it('every mount point writable on the host refuses a write inside; only the worktree and scratch are writable', async () => {
    const { pidNamespace } = await sandboxFeatures();
    // A private /proc replaces the host's, and whatever was mounted below it.
    const points = writableTops(readFileSync('/proc/self/mountinfo', 'utf8')).filter((p) => !(pidNamespace && p.startsWith('/proc/')));
    const probeable = points.filter((p) => {
      const st = statSync(p, { throwIfNoEntry: false });
      return st && (st.isDirectory() || st.isFile());
    });
    expect(probeable).toContain('/');
    // A folder is probed with mkdir, a file (and /proc, whose root refuses any new name) by
    // opening it for append without writing: both need a writable mount first.
    const probeTarget = (p: string) => (p === '/proc' ? 'f /proc/sys/kernel/hostname' : statSync(p).isDirectory() ? `d ${p}` : `f ${p}`);
    writeFileSync(join(wt, 'points.txt'), probeable.map(probeTarget).join('\n') + '\n');
    const probe = [
      'while read -r k p; do',
      '  if [ "$k" = d ]; then t="$p/.lanes-ro-probe-$$"; err=$(mkdir "$t" 2>&1) && { rmdir "$t"; echo "WRITABLE $p"; continue; }',
      '  else err=$( (: >> "$p") 2>&1) && { echo "WRITABLE $p"; continue; }; fi',
      '  case $err in *"Read-only file system"*) echo "RO $p";; *) echo "OTHER $p: $err";; esac',
      'done < points.txt',
      'echo ok > legit.txt && echo ok > "$TMPDIR/scratch.txt" && echo WORKTREE-AND-SCRATCH-WRITABLE',
      'echo MOUNTINFO; cat /proc/self/mountinfo',
    ].join('\n');
    const { exitCode, out } = await sandboxed(probe);
    expect(exitCode, out).toBe(0);
    const [verdicts, inside] = out.split('MOUNTINFO\n') as [string, string];
    for (const p of probeable) expect(verdicts, p).toContain(`RO ${p === '/proc' ? '/proc/sys/kernel/hostname' : p}\n`);
    expect(verdicts).not.toMatch(/^(WRITABLE|OTHER) /m);
    expect(verdicts).toContain('WORKTREE-AND-SCRATCH-WRITABLE');
    expect(readFileSync(join(wt, 'legit.txt'), 'utf8')).toBe('ok\n');
    // Inside, the only writable mounts are the worktree and the command's scratch dir.
    const writableInside = writableTops(inside);
    expect(writableInside).toHaveLength(2);
    expect(writableInside).toContain(wt);
    expect(writableInside.find((p) => p !== wt)).toMatch(/\/lanes-run-[^/]+$/);
  });

  it('a file a packet keeps read-only inside a hidden folder is readable and read-only; the rest of the folder stays hidden', async () => {
    const userHome = join(root, 'userhome');
    mkdirSync(join(userHome, '.ssh'), { recursive: true });
    writeFileSync(join(userHome, '.ssh', 'known_hosts'), 'KNOWN-HOSTS');
    writeFileSync(join(userHome, '.ssh', 'id_ed25519'), 'PRIVATE-KEY');
    let out = '';
    const r = await runSandboxed({
      home,
      root: wt,
      userHome,
      permissionMode: 'workspace_write',
      settings: { readOnly: ['~/.ssh/known_hosts'] },
      command: `cat ${userHome}/.ssh/known_hosts; echo; ls -A ${userHome}/.ssh; cat ${userHome}/.ssh/id_ed25519; (echo x >> ${userHome}/.ssh/known_hosts) 2>&1`,
      timeoutMs: 30_000,
      onOutput: (c) => (out += c),
    });
    expect(r.exitCode, out).not.toBe(125);
    expect(out).toContain('KNOWN-HOSTS\nknown_hosts\n');
    expect(out).not.toContain('PRIVATE-KEY');
    expect(out).toContain('known_hosts: Read-only file system');
    expect(readFileSync(join(userHome, '.ssh', 'known_hosts'), 'utf8')).toBe('KNOWN-HOSTS');
  });

  it('a mount read-only on the host stays so when a packet lists it writable; a non-root worker keeps nosuid,nodev,noexec,noatime on its worktree', async () => {
    const asRoot = process.getuid?.() === 0;
    const base = mkdtempSync(join(tmpdir(), 'lanes-roview-ns-'));
    try {
      const roSrc = join(base, 'ro-src');
      const ro = join(base, 'ro');
      const flagged = join(base, 'flagged');
      for (const d of [join(roSrc, 'out'), ro, flagged]) mkdirSync(d, { recursive: true });
      // Open to the unprivileged user, so a refused write can only be the read-only mount's doing.
      for (const d of [base, roSrc, join(roSrc, 'out')]) chmodSync(d, 0o777);
      const script = join(base, 'run.mjs');
      // The unprivileged user may not be able to read this checkout (a clone under a 0700
      // folder), so it runs the sandbox from one bundled file in the open temp folder.
      const sandboxModule = join(base, 'sandbox.mjs');
      await build({
        entryPoints: [fileURLToPath(new URL('../../../src/sandbox/index.ts', import.meta.url))],
        outfile: sandboxModule, bundle: true, platform: 'node', format: 'esm', logLevel: 'error',
        banner: { js: "import { createRequire as __lanesRequire } from 'node:module'; const require = __lanesRequire(import.meta.url);" },
      });
      chmodSync(sandboxModule, 0o644);
      writeFileSync(
        script,
        `const { runSandboxed } = await import(${JSON.stringify(sandboxModule)});
const fs = await import('node:fs');
const [home, wt] = [${JSON.stringify(join(flagged, 'home'))}, ${JSON.stringify(join(flagged, 'home', 'worktrees', 'lane-1'))}];
fs.mkdirSync(wt, { recursive: true });
let out = '';
const cmd = 'echo ok > legit.txt; (echo x > ${ro}/out/w) 2>&1; (echo y > ${ro}/w) 2>&1; grep " ' + wt + ' " /proc/self/mountinfo; id -u';
const r = await runSandboxed({ home, root: wt, permissionMode: 'workspace_write', command: cmd, timeoutMs: 20000, settings: { writable: [${JSON.stringify(join(ro, 'out'))}] }, onOutput: (c) => (out += c) });
console.log(JSON.stringify({ exitCode: r.exitCode, out, legit: fs.existsSync(wt + '/legit.txt') ? fs.readFileSync(wt + '/legit.txt', 'utf8') : null }));
`,
      );
      // In a private mount namespace: a read-only bind, and a tmpfs with the flags a user
      // namespace locks; then (as root) drop to an unprivileged user, so the sandbox takes
      // its user-namespace path.
      const setup = [
        `mount --bind ${roSrc} ${ro} && mount -o remount,bind,ro ${ro}`,
        `mount -t tmpfs -o nosuid,nodev,noexec,noatime,size=8m lanes-test-flagged ${flagged} && chmod 777 ${flagged}`,
        asRoot ? `exec setpriv --reuid=65534 --regid=65534 --clear-groups env HOME=${flagged} "$0" ${script}` : `HOME=${flagged} exec "$0" ${script}`,
      ].join(' && ');
      const r = await execa('unshare', [...(asRoot ? [] : ['--user', '--map-root-user']), '--mount', '--propagation', 'private', '--', 'sh', '-c', setup, process.execPath], { reject: false });
      expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
      const res = JSON.parse(r.stdout) as { exitCode: number; out: string; legit: string | null };
      expect(res.exitCode, res.out).toBe(0);
      expect(res.out).not.toContain('setup failed');
      expect(res.legit).toBe('ok\n');
      expect(res.out).toContain(`${ro}/out/w: Read-only file system`);
      expect(res.out).toContain(`${ro}/w: Read-only file system`);
      const line = res.out.split('\n').find((l) => l.includes(` ${join(flagged, 'home', 'worktrees', 'lane-1')} `));
      expect(line, res.out).toBeDefined();
      const opts = line!.split(' ')[5]!.split(',');
      expect(opts).toEqual(expect.arrayContaining(['rw', 'nosuid', 'nodev', 'noexec', 'noatime']));
      // Nothing was written through the read-only bind.
      expect(existsSync(join(roSrc, 'out', 'w'))).toBe(false);
      expect(existsSync(join(roSrc, 'w'))).toBe(false);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});
