// The lane sandbox with real processes: hostile test code run as an acceptance command (and
// as agent bash) tries to write outside, read another lane and a planted ~/.ssh key, reach a
// loopback listener and the Temporal frontend, plant a git hook. Each attempt must fail and
// a sentinel outside the worktree must stay unchanged; the legitimate change still happens.
import { createServer, type Server } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createTestActivities, type AcceptanceInput } from '../../../src/activities/tests.js';
import { createFixtureRepo, type FixtureRepo } from '../../../src/demo/fixture-repo.js';
import { runTool } from '../../../src/tools/run-tool.js';
import { runGit } from '../../../src/git/client.js';
import { ESCAPE_NAMES, escapeProbeSource, escapeVerdicts } from './escape-probe.js';

let root: string;
let home: string;
let repo: FixtureRepo;
let wt: string;
let otherWt: string;
let fakeHome: string;
let sentinel: string;
let outsideDir: string;
let listener: Server;
let listenerPort: number;
let sentinelMtime: number;
const savedHome = process.env.HOME;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'lanes-contain-'));
  home = join(root, 'home');
  repo = await createFixtureRepo(join(root, 'repo'));
  wt = join(home, 'worktrees', 'lane-1');
  otherWt = join(home, 'worktrees', 'lane-2');
  mkdirSync(join(home, 'worktrees'), { recursive: true });
  await repo.git('worktree', 'add', '-q', '-b', 'lanes/lane-1', wt);
  await repo.git('worktree', 'add', '-q', '-b', 'lanes/lane-2', otherWt);
  writeFileSync(join(otherWt, 'OTHER.txt'), 'OTHER-LANE-CONTENT');
  mkdirSync(join(home, 'lanes', 'lane-2'), { recursive: true });
  writeFileSync(join(home, 'lanes', 'lane-2', 'events.jsonl'), '{"seq":1}\n');
  // A user home with credentials: the sandbox hides ~/.ssh of whatever HOME the worker has.
  fakeHome = join(root, 'userhome');
  mkdirSync(join(fakeHome, '.ssh'), { recursive: true });
  writeFileSync(join(fakeHome, '.ssh', 'id_ed25519'), 'PRIVATE-KEY-SENTINEL');
  process.env.HOME = fakeHome;
  outsideDir = join(root, 'outside');
  mkdirSync(outsideDir);
  sentinel = join(outsideDir, 'sentinel.txt');
  writeFileSync(sentinel, 'UNCHANGED');
  sentinelMtime = statSync(sentinel).mtimeMs;
  listener = createServer((s) => {
    s.on('error', () => {}); // the probe hangs up at once
    s.end('hello');
  });
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
  listenerPort = (listener.address() as { port: number }).port;
  writeFileSync(
    join(wt, 'escape.mjs'),
    escapeProbeSource({
      sentinel,
      outsideDir,
      otherLaneFile: join(otherWt, 'OTHER.txt'),
      otherLaneArtifact: join(home, 'lanes', 'lane-2', 'events.jsonl'),
      sshKey: join(fakeHome, '.ssh', 'id_ed25519'),
      listenerPort,
      temporalAddress: inject('temporalAddress'),
    }),
  );
  // The worker's own environment carries what must never reach a lane command.
  process.env.TEMPORAL_ADDRESS ??= inject('temporalAddress');
  process.env.LANES_HOME_PROBE = home;
});

afterAll(async () => {
  process.env.HOME = savedHome;
  delete process.env.LANES_HOME_PROBE;
  await new Promise<void>((r) => listener.close(() => r()));
  rmSync(root, { recursive: true, force: true });
});

function expectOutsideUnchanged(): void {
  expect(readFileSync(sentinel, 'utf8')).toBe('UNCHANGED');
  expect(statSync(sentinel).mtimeMs).toBe(sentinelMtime);
  expect(readdirSync(outsideDir)).toEqual(['sentinel.txt']);
  expect(existsSync(join(repo.path, '.git', 'hooks', 'post-commit'))).toBe(false);
}

const input = (run: string, extra: Partial<AcceptanceInput> = {}): AcceptanceInput => ({
  laneId: 'lane-1',
  cwd: wt,
  level: 'targeted',
  commands: [{ name: 'probe', run }],
  timeoutMs: 30_000,
  attemptKey: `a${Math.random().toString(36).slice(2, 8)}`,
  ...extra,
});

describe('sandbox: acceptance commands are contained', () => {
  it.each(['none', 'loopback'] as const)('with network %s, every escape fails and the legitimate write lands', async (network) => {
    rmSync(join(wt, 'legit-change.txt'), { force: true });
    const acts = createTestActivities({ home });
    const r = await acts.runAcceptance(input('node escape.mjs', { sandbox: { network } }));
    const log = readFileSync(r.results[0]!.logPath, 'utf8');
    expect(r.passed, log).toBe(true);
    const verdicts = escapeVerdicts(log);
    expect(Object.keys(verdicts).sort(), log).toEqual([...ESCAPE_NAMES].sort());
    for (const name of ESCAPE_NAMES) expect(verdicts[name], `${name}\n${log}`).toBe('blocked');
    expect(log).not.toContain('PRIVATE-KEY-SENTINEL');
    expect(log).not.toContain('OTHER-LANE-CONTENT');
    expect(readFileSync(join(wt, 'legit-change.txt'), 'utf8')).toBe('ok');
    expectOutsideUnchanged();
  });

  it('the merge candidate is contained the same way', async () => {
    const candidate = join(home, 'worktrees', 'lane-1.candidate');
    await repo.git('worktree', 'add', '-q', '-b', 'lanes-candidate/lane-1', candidate);
    try {
      writeFileSync(join(candidate, 'escape.mjs'), readFileSync(join(wt, 'escape.mjs')));
      const r = await createTestActivities({ home }).runAcceptance(input('node escape.mjs', { cwd: candidate, level: 'merge_ready' }));
      const verdicts = escapeVerdicts(readFileSync(r.results[0]!.logPath, 'utf8'));
      for (const name of ESCAPE_NAMES) expect(verdicts[name], name).toBe('blocked');
      // The candidate sees its own files, not the lane worktree's.
      const r2 = await createTestActivities({ home }).runAcceptance(input(`cat ${join(wt, 'escape.mjs')} >/dev/null && echo SEEN || echo HIDDEN`, { cwd: candidate }));
      expect(r2.results[0]!.tail).toContain('HIDDEN');
      expectOutsideUnchanged();
    } finally {
      await repo.git('worktree', 'remove', '--force', candidate);
    }
  });

  it('loopback: a test starts and calls its own local HTTP server; with network none it cannot', async () => {
    const serverTest = `node -e "const h=require('node:http');const s=h.createServer((q,r)=>r.end('pong')).listen(0,'127.0.0.1',()=>h.get('http://127.0.0.1:'+s.address().port,(r)=>{let b='';r.on('data',c=>b+=c);r.on('end',()=>{console.log('GOT '+b);s.close()})}).on('error',e=>{console.log('ERR '+e.code);process.exit(3)}))"`;
    const acts = createTestActivities({ home });
    const ok = await acts.runAcceptance(input(serverTest, { sandbox: { network: 'loopback' } }));
    expect(ok.results[0]!.tail).toContain('GOT pong');
    expect(ok.passed).toBe(true);
    const none = await acts.runAcceptance(input(serverTest, { sandbox: { network: 'none' } }));
    expect(none.passed).toBe(false);
    expect(none.results[0]!.tail).not.toContain('GOT pong');
  });

  it('host network is refused unless the worker allows it, and nothing runs', async () => {
    const acts = createTestActivities({ home });
    const err = await acts.runAcceptance(input('touch ran-anyway', { sandbox: { network: 'host' } })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).type).toBe('tool_runtime');
    expect((err as ApplicationFailure).message).toMatch(/does not allow host network/);
    expect(existsSync(join(wt, 'ran-anyway'))).toBe(false);
    // With the worker's consent the listener of the host is reachable.
    const allowed = createTestActivities({ home, allowHostNetwork: true });
    const r = await allowed.runAcceptance(input('node escape.mjs', { sandbox: { network: 'host' } }));
    expect(escapeVerdicts(readFileSync(r.results[0]!.logPath, 'utf8'))['tcp-loopback-listener']).toBe('ESCAPED');
    expectOutsideUnchanged();
  });

  it('extra hidden, read-only and writable paths from the packet apply', async () => {
    const extra = join(root, 'extra');
    mkdirSync(join(extra, 'hidden'), { recursive: true });
    mkdirSync(join(extra, 'rw'), { recursive: true });
    writeFileSync(join(extra, 'hidden', 'h.txt'), 'HIDDEN-DATA');
    const acts = createTestActivities({ home });
    const r = await acts.runAcceptance(
      input(`cat ${extra}/hidden/h.txt; echo w > ${extra}/rw/w.txt && echo RW-OK`, { sandbox: { hide: [join(extra, 'hidden')], writable: [join(extra, 'rw')] } }),
    );
    expect(r.results[0]!.tail).not.toContain('HIDDEN-DATA');
    expect(r.results[0]!.tail).toContain('RW-OK');
    expect(readFileSync(join(extra, 'rw', 'w.txt'), 'utf8')).toBe('w\n');
    const bad = await acts.runAcceptance(input('true', { sandbox: { writable: [home] } })).catch((e: unknown) => e);
    expect((bad as ApplicationFailure).message).toMatch(/overlaps \$LANES_HOME/);
  });

  it('danger_full_access still keeps the repository git dir read-only', async () => {
    const r = await createTestActivities({ home }).runAcceptance(input('node escape.mjs', { permissionMode: 'danger_full_access' }));
    const verdicts = escapeVerdicts(readFileSync(r.results[0]!.logPath, 'utf8'));
    expect(verdicts['write-git-hook']).toBe('blocked');
    expect(existsSync(join(repo.path, '.git', 'hooks', 'post-commit'))).toBe(false);
    // Everything else is the packet author's explicit opt-out: restore the sentinel it may overwrite.
    writeFileSync(sentinel, 'UNCHANGED');
    rmSync(join(outsideDir, 'planted.txt'), { force: true });
    sentinelMtime = statSync(sentinel).mtimeMs;
  });
});

describe('sandbox: agent bash is contained the same way', () => {
  it('workspace_write bash: every escape fails', async () => {
    const res = await runTool({ root: wt, call: { id: 'b1', name: 'bash', input: { command: 'node escape.mjs' } }, permissionMode: 'workspace_write', sandbox: { home } });
    const verdicts = escapeVerdicts(res.output);
    for (const name of ESCAPE_NAMES) expect(verdicts[name], `${name}\n${res.output}`).toBe('blocked');
    expectOutsideUnchanged();
  });
});

describe('git hooks never run for Lanes git commands', () => {
  it('a hook planted in the common git dir does not run on commit', async () => {
    const marker = join(root, 'hook-ran');
    const hook = join(repo.path, '.git', 'hooks', 'pre-commit');
    writeFileSync(hook, `#!/bin/sh\ntouch ${marker}\n`, { mode: 0o755 });
    try {
      writeFileSync(join(wt, 'hooked.txt'), 'x');
      await runGit(wt, ['add', 'hooked.txt']);
      await runGit(wt, ['commit', '-q', '-m', 'lanes commit']);
      expect(existsSync(marker)).toBe(false);
      // The same hook does run for a plain git (proving it is a working hook).
      await repo.git('-C', wt, 'commit', '-q', '--allow-empty', '-m', 'plain');
      expect(existsSync(marker)).toBe(true);
    } finally {
      rmSync(hook, { force: true });
    }
  });
});
