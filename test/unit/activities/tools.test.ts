import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { processesWithCmdline } from '../../support/processes.js';
import { createArtifactStore } from '../../../src/activities/artifacts.js';
import {
  createToolActivities,
  resolveInWorktree,
  runTool,
  TOOL_SPECS,
  ToolRefusal,
  toolsFor,
  type PermissionMode,
  type RefusalRecord,
  type ToolResult,
} from '../../../src/activities/tools.js';
import { sandboxAvailability } from '../../../src/sandbox/index.js';
import { createFaultInjector, parseFaultPlan } from '../../../src/faults/index.js';
import { createHash } from 'node:crypto';

let home: string;
let wt: string;
let outside: string;
let sentinel: string;
let sentinelMtime: number;

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'lanes-tools-'));
  wt = join(home, 'worktrees', 'lane-1');
  mkdirSync(join(wt, 'src'), { recursive: true });
  writeFileSync(join(wt, 'src', 'a.ts'), 'export const a = 1;\nexport const b = 2;\n');
  writeFileSync(join(wt, 'README.md'), 'hello\nworld\n');
  mkdirSync(join(wt, '.git'));
  writeFileSync(join(wt, '.git', 'HEAD'), 'ref: refs/heads/lane\n');
  outside = join(home, 'outside');
  mkdirSync(outside);
  sentinel = join(outside, 'secret.txt');
  writeFileSync(sentinel, 'SECRET\n');
  sentinelMtime = statSync(sentinel).mtimeMs;
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

let seq = 0;
async function call(name: string, input: unknown, mode: PermissionMode = 'workspace_write', extra: { allowlist?: string[]; writeManifest?: string[] } = {}): Promise<ToolResult> {
  return runTool({ root: wt, call: { id: `c${++seq}`, name, input }, permissionMode: mode, sandbox: { home }, ...extra });
}

/** Nothing outside the worktree changed: the sentinel and its folder are as they were. */
function expectOutsideUntouched(): void {
  expect(readFileSync(sentinel, 'utf8')).toBe('SECRET\n');
  expect(statSync(sentinel).mtimeMs).toBe(sentinelMtime);
  expect(readdirSync(outside)).toEqual(['secret.txt']);
}


describe('tools: built-in tools', () => {
  it('read_file returns numbered lines and honours offset and limit', async () => {
    const all = await call('read_file', { path: 'src/a.ts' });
    expect(all).toMatchObject({ ok: true, name: 'read_file' });
    expect(all.output).toBe('1\texport const a = 1;\n2\texport const b = 2;');
    const second = await call('read_file', { path: 'src/a.ts', offset: 2, limit: 1 });
    expect(second.output).toContain('2\texport const b = 2;');
    expect(second.output).not.toContain('const a');
  });

  it('read_file reports a missing file as a tool error the agent can read', async () => {
    const r = await call('read_file', { path: 'nope.ts' });
    expect(r.ok).toBe(false);
    expect(r.refused).toBeUndefined();
    expect(r.output).toMatch(/nope\.ts does not exist/);
  });

  it('write_file creates parent directories and reports created vs overwrote', async () => {
    const r = await call('write_file', { path: 'src/deep/new.ts', content: 'x\n' });
    expect(r).toMatchObject({ ok: true });
    expect(r.output).toContain('created src/deep/new.ts');
    expect(readFileSync(join(wt, 'src', 'deep', 'new.ts'), 'utf8')).toBe('x\n');
    expect((await call('write_file', { path: 'src/deep/new.ts', content: 'y' })).output).toContain('overwrote');
  });

  it('edit_file replaces a unique string literally and refuses missing or ambiguous ones', async () => {
    const ok = await call('edit_file', { path: 'src/a.ts', old_string: 'a = 1', new_string: 'a = $&1' });
    expect(ok.ok).toBe(true);
    expect(readFileSync(join(wt, 'src', 'a.ts'), 'utf8')).toContain('export const a = $&1;');

    const missing = await call('edit_file', { path: 'src/a.ts', old_string: 'zzz', new_string: 'q' });
    expect(missing).toMatchObject({ ok: false });
    expect(missing.output).toMatch(/not found/);

    const ambiguous = await call('edit_file', { path: 'src/a.ts', old_string: 'export const', new_string: 'const' });
    expect(ambiguous).toMatchObject({ ok: false });
    expect(ambiguous.output).toMatch(/occurs 2 times/);
    expect(readFileSync(join(wt, 'src', 'a.ts'), 'utf8')).toContain('export const b');

    const all = await call('edit_file', { path: 'src/a.ts', old_string: 'export const', new_string: 'const', replace_all: true });
    expect(all.ok).toBe(true);
    expect(readFileSync(join(wt, 'src', 'a.ts'), 'utf8')).not.toContain('export');
  });

  it('list marks directories and symbolic links', async () => {
    symlinkSync('README.md', join(wt, 'readme-link'));
    const r = await call('list', {});
    expect(r.output.split('\n')).toEqual(['.git/', 'readme-link@', 'README.md', 'src/']);
    expect((await call('list', { path: 'src' })).output).toBe('a.ts');
  });

  it('glob finds files relative to the worktree and skips .git', async () => {
    const r = await call('glob', { pattern: '**/*' });
    expect(r.output.split('\n')).toEqual(['README.md', 'src/a.ts']);
    expect((await call('glob', { pattern: '*.py' })).output).toMatch(/no files match/);
  });

  it('grep matches a JS regex per line, skipping binary files and .git', async () => {
    writeFileSync(join(wt, 'bin.dat'), Buffer.from([0x68, 0x65, 0x6c, 0x6c, 0x6f, 0, 1, 2]));
    writeFileSync(join(wt, '.git', 'notes'), 'hello from git\n');
    const r = await call('grep', { pattern: '^hel+o' });
    expect(r.output.split('\n')).toEqual(['README.md:1: hello', '[1 binary files skipped]']);
    const scoped = await call('grep', { pattern: 'const \\w', path: 'src', glob: '*.ts' });
    expect(scoped.output).toBe('src/a.ts:1: export const a = 1;\nsrc/a.ts:2: export const b = 2;');
    const bad = await call('grep', { pattern: '(' });
    expect(bad).toMatchObject({ ok: false });
    expect(bad.output).toMatch(/not a valid JavaScript regular expression/);
  });

  it('grep caps the number of matches', async () => {
    writeFileSync(join(wt, 'many.txt'), 'hit\n'.repeat(500));
    const r = await call('grep', { pattern: 'hit', path: 'many.txt' });
    expect(r.output.split('\n').filter((l) => l.startsWith('many.txt:'))).toHaveLength(200);
    expect(r.output).toMatch(/stopped after 200 matches/);
  });

  it('rejects invalid input and unknown tools as tool errors, not refusals', async () => {
    const bad = await call('read_file', { offset: 2 });
    expect(bad).toMatchObject({ ok: false });
    expect(bad.output).toMatch(/invalid input for read_file: path/);
    const unknown = await call('rm_rf', {});
    expect(unknown).toMatchObject({ ok: false });
    expect(unknown.refused).toBeUndefined();
  });
});

describe('tools: confinement', () => {
  it('refuses absolute paths and ".." escapes for every file tool', async () => {
    const attempts: [string, unknown][] = [
      ['read_file', { path: sentinel }],
      ['read_file', { path: '../../outside/secret.txt' }],
      ['write_file', { path: '../../outside/secret.txt', content: 'pwned' }],
      ['write_file', { path: sentinel, content: 'pwned' }],
      ['write_file', { path: '../../outside/new.txt', content: 'pwned' }],
      ['edit_file', { path: '../../outside/secret.txt', old_string: 'SECRET', new_string: 'pwned' }],
      ['list', { path: '..' }],
      ['grep', { pattern: 'SECRET', path: '../../outside' }],
      ['glob', { pattern: '../../outside/*' }],
      ['glob', { pattern: '/etc/*' }],
      ['glob', { pattern: '{..,src}/**' }],
    ];
    for (const [name, input] of attempts) {
      const r = await call(name, input);
      expect(r.refused, `${name} ${JSON.stringify(input)}`).toMatchObject({ class: 'workspace_mismatch' });
      expect(r.ok).toBe(false);
      expect(r.output).not.toContain('SECRET');
    }
    expectOutsideUntouched();
  });

  it('allows ".." that stays inside the worktree', async () => {
    const r = await call('read_file', { path: 'src/../README.md' });
    expect(r.ok).toBe(true);
  });

  it('refuses a symlinked file that points outside, for reading and writing', async () => {
    symlinkSync(sentinel, join(wt, 'leak.txt'));
    for (const [name, input] of [
      ['read_file', { path: 'leak.txt' }],
      ['write_file', { path: 'leak.txt', content: 'pwned' }],
      ['edit_file', { path: 'leak.txt', old_string: 'SECRET', new_string: 'pwned' }],
    ] as const) {
      const r = await call(name, input);
      expect(r.refused, name).toMatchObject({ class: 'workspace_mismatch' });
      expect(r.output).toContain('leak.txt');
    }
    const g = await call('grep', { pattern: 'SECRET' });
    expect(g.output).not.toContain('SECRET\n');
    expect(g.output).toMatch(/no matches/);
    expectOutsideUntouched();
  });

  it('refuses a symlinked directory that points outside, including files that do not exist yet', async () => {
    symlinkSync(outside, join(wt, 'escape'));
    for (const [name, input] of [
      ['write_file', { path: 'escape/new.txt', content: 'pwned' }],
      ['write_file', { path: 'escape/sub/dir/new.txt', content: 'pwned' }],
      ['read_file', { path: 'escape/secret.txt' }],
      ['list', { path: 'escape' }],
      ['grep', { pattern: 'SECRET', path: 'escape' }],
    ] as const) {
      const r = await call(name, input);
      expect(r.refused, `${name} ${JSON.stringify(input)}`).toMatchObject({ class: 'workspace_mismatch' });
    }
    expect((await call('glob', { pattern: '**/*.txt' })).output).not.toContain('secret');
    expectOutsideUntouched();
  });

  it('refuses a dangling symlink whose target would be created outside', async () => {
    symlinkSync(join(outside, 'created-by-agent.txt'), join(wt, 'dangling'));
    const r = await call('write_file', { path: 'dangling', content: 'pwned' });
    expect(r.refused).toMatchObject({ class: 'workspace_mismatch' });
    expectOutsideUntouched();
  });

  it('follows symlinks that stay inside the worktree', async () => {
    symlinkSync(join(wt, 'src'), join(wt, 'src-link'));
    const r = await call('write_file', { path: 'src-link/b.ts', content: 'b' });
    expect(r.ok).toBe(true);
    expect(readFileSync(join(wt, 'src', 'b.ts'), 'utf8')).toBe('b');
  });

  it('resolveInWorktree throws a ToolRefusal naming the path', () => {
    expect(() => resolveInWorktree(wt, '../x')).toThrow(ToolRefusal);
    expect(() => resolveInWorktree(wt, '/etc/passwd')).toThrow(/"\/etc\/passwd"/);
    expect(resolveInWorktree(wt, 'src/new/file.ts').rel).toBe('src/new/file.ts');
    expect(resolveInWorktree(wt, '.').rel).toBe('');
  });
});

describe('tools: write manifest and permission modes', () => {
  it('refuses writes outside the write manifest and allows writes inside it', async () => {
    const manifest = { writeManifest: ['src/**'] };
    const out = await call('write_file', { path: 'README.md', content: 'changed' }, 'workspace_write', manifest);
    expect(out.refused).toMatchObject({ class: 'manifest' });
    expect(readFileSync(join(wt, 'README.md'), 'utf8')).toBe('hello\nworld\n');
    const edit = await call('edit_file', { path: 'README.md', old_string: 'hello', new_string: 'bye' }, 'workspace_write', manifest);
    expect(edit.refused).toMatchObject({ class: 'manifest' });
    const inside = await call('write_file', { path: 'src/ok.ts', content: 'ok' }, 'workspace_write', manifest);
    expect(inside.ok).toBe(true);
  });

  it('checks the manifest against where a write lands, not the symlink name', async () => {
    symlinkSync(join(wt, 'README.md'), join(wt, 'src', 'readme-alias.md'));
    const r = await call('write_file', { path: 'src/readme-alias.md', content: 'x' }, 'workspace_write', { writeManifest: ['src/**'] });
    expect(r.refused).toMatchObject({ class: 'manifest' });
    expect(readFileSync(join(wt, 'README.md'), 'utf8')).toBe('hello\nworld\n');
  });

  it('refuses writes into .git even without a manifest', async () => {
    const r = await call('write_file', { path: '.git/hooks/pre-commit', content: 'rm -rf /' });
    expect(r.refused).toMatchObject({ class: 'manifest' });
    expect(existsSync(join(wt, '.git', 'hooks'))).toBe(false);
  });

  it('read_only mode refuses write_file, edit_file and bash but allows reading', async () => {
    for (const [name, input] of [
      ['write_file', { path: 'x.txt', content: 'x' }],
      ['edit_file', { path: 'README.md', old_string: 'hello', new_string: 'bye' }],
      ['bash', { command: 'touch ran.txt' }],
    ] as const) {
      const r = await call(name, input, 'read_only');
      expect(r.refused, name).toMatchObject({ class: 'manifest' });
    }
    expect(existsSync(join(wt, 'x.txt'))).toBe(false);
    expect(existsSync(join(wt, 'ran.txt'))).toBe(false);
    expect(readFileSync(join(wt, 'README.md'), 'utf8')).toBe('hello\nworld\n');
    expect((await call('read_file', { path: 'README.md' }, 'read_only')).ok).toBe(true);
  });

  it('an allowlist narrows the tools further', async () => {
    const r = await call('grep', { pattern: 'x' }, 'danger_full_access', { allowlist: ['read_file'] });
    expect(r.refused).toMatchObject({ class: 'manifest' });
    expect(r.output).toMatch(/allowlist/);
    expect(toolsFor('danger_full_access', ['read_file', 'bash', 'mcp__x']).map((t) => t.name)).toEqual(['read_file', 'bash']);
  });

  it('toolsFor lists the tools each mode allows, with JSON-Schema inputs', () => {
    expect(toolsFor('read_only').map((t) => t.name)).toEqual(['read_file', 'list', 'glob', 'grep']);
    expect(toolsFor('workspace_write').map((t) => t.name).sort()).toEqual(
      ['bash', 'edit_file', 'glob', 'grep', 'list', 'read_file', 'write_file'],
    );
    expect(TOOL_SPECS).toHaveLength(7);
    for (const spec of TOOL_SPECS) {
      expect(spec.description.length).toBeGreaterThan(20);
      expect(spec.inputSchema).toMatchObject({ type: 'object', properties: expect.any(Object) });
      expect(spec.inputSchema).not.toHaveProperty('$schema');
    }
    expect(TOOL_SPECS.find((t) => t.name === 'edit_file')?.inputSchema).toMatchObject({
      required: ['path', 'old_string', 'new_string'],
    });
  });
});

describe('tools: bash', () => {
  it('runs in the worktree and reports the exit code', async () => {
    const r = await call('bash', { command: 'pwd; echo made > made.txt; exit 3' });
    expect(r.ok).toBe(false);
    expect(r.output).toContain(wt);
    expect(r.output).toContain('[exit code 3]');
    expect(readFileSync(join(wt, 'made.txt'), 'utf8')).toBe('made\n');
  });

  it('keeps provider credentials out of the environment', async () => {
    process.env.ANTHROPIC_API_KEY = 'sk-ant-test';
    process.env.OPENAI_API_KEY = 'sk-openai-test';
    try {
      const r = await call('bash', { command: 'echo "a=${ANTHROPIC_API_KEY:-none} o=${OPENAI_API_KEY:-none} p=${PATH:+set}"' }, 'danger_full_access');
      expect(r.output).toContain('a=none o=none p=set');
    } finally {
      delete process.env.ANTHROPIC_API_KEY;
      delete process.env.OPENAI_API_KEY;
    }
  });

  it('caps output at 30 000 characters with a truncation note', async () => {
    const r = await call('bash', { command: "head -c 100000 /dev/zero | tr '\\0' a; echo; echo END" });
    expect(r.ok).toBe(true);
    expect(r.output.length).toBeLessThan(30_200);
    expect(r.output).toMatch(/\[\.\.\. \d+ characters truncated \.\.\.\]/);
    expect(r.output).toContain('END\n[exit code 0]');
  });

  it('kills the whole process group on timeout (danger_full_access)', async () => {
    const started = Date.now();
    const r = await call('bash', { command: 'sleep 30.0517 & wait', timeoutMs: 500 }, 'danger_full_access');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(r.ok).toBe(false);
    expect(r.output).toContain('[timed out after 500 ms; process group killed]');
    // The sandbox has its own PID namespace, where `$!` names no host process: look the child up by its command line.
    expect(await processesWithCmdline('sleep 30.0517')).toEqual([]);
  });

  it('kills the sandboxed command on timeout: nothing it scheduled runs later', async () => {
    const r = await call('bash', { command: '(sleep 1; echo late > late.txt) & sleep 30', timeoutMs: 300 });
    expect(r.output).toContain('timed out');
    await sleep(1_500);
    expect(existsSync(join(wt, 'late.txt'))).toBe(false);
  });

  it('does not let background jobs outlive the call', async () => {
    const r = await call('bash', { command: '(sleep 1; echo late > late.txt) & echo started' }, 'danger_full_access');
    expect(r.ok).toBe(true);
    await sleep(1_500);
    expect(existsSync(join(wt, 'late.txt'))).toBe(false);
  });

  it('in workspace_write mode, bash can change the worktree but nothing outside it', async () => {
    const availability = await sandboxAvailability();
    expect(availability, 'this host is expected to support the sandbox').toMatchObject({ ok: true });
    const r = await call('bash', {
      command: `echo inside > in.txt; echo pwned > ${sentinel}; echo new > ${outside}/new.txt; echo x > .git/HEAD; mount -o remount,rw / ; echo pwned > ${sentinel}; echo tmp > "$TMPDIR/t" && echo tmp-ok`,
    });
    expect(readFileSync(join(wt, 'in.txt'), 'utf8')).toBe('inside\n');
    expect(r.output).toMatch(/Read-only file system/);
    expect(r.output).toContain('tmp-ok');
    expect(readFileSync(join(wt, '.git', 'HEAD'), 'utf8')).toBe('ref: refs/heads/lane\n');
    expectOutsideUntouched();
  });
});

describe('tools: runToolCall activity', () => {
  const laneInput = (call: { id: string; name: string; input: unknown }, turn = 1) => ({
    laneId: 'lane-1',
    worktreePath: wt,
    turn,
    call,
    permissionMode: 'workspace_write' as const,
  });

  it('returns the saved result on a retry without running the tool again', async () => {
    const acts = createToolActivities({ home });
    const input = laneInput({ id: 'toolu_1', name: 'bash', input: { command: 'echo ran >> count.txt; echo done' } });
    const first = await acts.runToolCall(input);
    const retry = await acts.runToolCall(input);
    expect(retry).toEqual(first);
    expect(readFileSync(join(wt, 'count.txt'), 'utf8')).toBe('ran\n');
    expect(existsSync(join(home, 'lanes', 'lane-1', 'tools', '1-toolu_1.json'))).toBe(true);
    // A different turn with the same call id is a different call.
    await acts.runToolCall({ ...input, turn: 2 });
    expect(readFileSync(join(wt, 'count.txt'), 'utf8')).toBe('ran\nran\n');
  });

  it('a corrupt saved result fails clearly, naming the file and field, and the tool does not run again', async () => {
    const acts = createToolActivities({ home });
    const input = laneInput({ id: 'toolu_c', name: 'bash', input: { command: 'echo ran >> count.txt' } });
    await acts.runToolCall(input);
    const record = join(home, 'lanes', 'lane-1', 'tools', '1-toolu_c.json');
    writeFileSync(record, JSON.stringify({ callId: 'toolu_c', name: 'bash', ok: 'yes', output: '', durationMs: 1 }));
    await expect(acts.runToolCall(input)).rejects.toMatchObject({ type: 'infra', message: expect.stringMatching(/1-toolu_c\.json is corrupt: ok:/) });
    // Must not: replay a wrong result or run the command a second time.
    expect(readFileSync(join(wt, 'count.txt'), 'utf8')).toBe('ran\n');
  });

  it('an edit retried after a crash between the edit and its saved result is not applied twice', async () => {
    const acts = createToolActivities({ home });
    // An insertion after an anchor: the anchor still matches after the edit, so a blind re-run would insert twice.
    const edit = laneInput({ id: 'toolu_edit', name: 'edit_file', input: { path: 'src/a.ts', old_string: 'export const a = 1;\n', new_string: 'export const a = 1;\nexport const inserted = true;\n' } }, 3);
    // The crashed attempt ran on a worker with a fault plan; the retry on one without.
    const faulty = createFaultInjector({ plan: parseFaultPlan([{ point: 'mid_tool', fault: 'throw', times: 1 }]) });
    await expect(createToolActivities({ home, faults: faulty }).runToolCall(edit)).rejects.toThrow(/injected failure/);
    const retry = await acts.runToolCall(edit);
    expect(retry.ok).toBe(true);
    expect(retry.output).toMatch(/recovered after a worker restart/);
    // Must not: the insertion twice.
    expect(readFileSync(join(wt, 'src', 'a.ts'), 'utf8')).toBe('export const a = 1;\nexport const inserted = true;\nexport const b = 2;\n');
    // A first attempt that crashed before the edit landed re-runs it.
    const second = laneInput({ id: 'toolu_edit2', name: 'edit_file', input: { path: 'README.md', old_string: 'hello', new_string: 'hi' } }, 3);
    mkdirSync(join(home, 'lanes', 'lane-1', 'tools'), { recursive: true });
    writeFileSync(join(home, 'lanes', 'lane-1', 'tools', '3-toolu_edit2.intent.json'), JSON.stringify({ path: 'README.md', before: createHash('sha256').update(readFileSync(join(wt, 'README.md'))).digest('hex') }));
    expect((await acts.runToolCall(second)).output).not.toMatch(/recovered/);
    expect(readFileSync(join(wt, 'README.md'), 'utf8')).toBe('hi\nworld\n');
  });

  it('logs a refusal once in refusals.jsonl, even when the call is retried', async () => {
    const acts = createToolActivities({ home });
    const input = laneInput({ id: 'call-9', name: 'write_file', input: { path: '../../outside/x.txt', content: 'x' } }, 4);
    const r = await acts.runToolCall(input);
    await acts.runToolCall(input);
    expect(r.refused).toMatchObject({ class: 'workspace_mismatch' });
    const lines = readFileSync(join(home, 'lanes', 'lane-1', 'refusals.jsonl'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!) as RefusalRecord).toMatchObject({ laneId: 'lane-1', turn: 4, callId: 'call-9', tool: 'write_file', class: 'workspace_mismatch' });
    expectOutsideUntouched();
  });

  it('refuses a worktree path that is not the lane worktree and runs nothing', async () => {
    const acts = createToolActivities({ home });
    const other = join(home, 'worktrees', 'lane-2');
    mkdirSync(other, { recursive: true });
    for (const worktreePath of [other, outside, join(home, 'worktrees', 'missing')]) {
      const err = await acts
        .runToolCall({ ...laneInput({ id: 'c1', name: 'bash', input: { command: 'touch ran.txt' } }), worktreePath })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApplicationFailure);
      expect((err as ApplicationFailure).type).toBe('workspace_mismatch');
    }
    expect(existsSync(join(other, 'ran.txt'))).toBe(false);
    expect(existsSync(join(outside, 'ran.txt'))).toBe(false);
    expect(existsSync(join(home, 'lanes', 'lane-1', 'tools'))).toBe(false);
  });

  it('refuses a lane worktree that is itself a symlink to another tree', async () => {
    const home2 = mkdtempSync(join(tmpdir(), 'lanes-tools-home2-'));
    try {
      mkdirSync(join(home2, 'worktrees'), { recursive: true });
      symlinkSync(outside, join(home2, 'worktrees', 'lane-1'));
      const acts = createToolActivities({ home: home2 });
      const err = await acts
        .runToolCall({ ...laneInput({ id: 'c1', name: 'write_file', input: { path: 'secret.txt', content: 'pwned' } }), worktreePath: join(home2, 'worktrees', 'lane-1') })
        .catch((e: unknown) => e);
      expect((err as ApplicationFailure).type).toBe('workspace_mismatch');
      expectOutsideUntouched();
    } finally {
      rmSync(home2, { recursive: true, force: true });
    }
  });

  it('accepts the lane worktree through a symlinked path (compared by realpath)', async () => {
    const alias = join(home, 'alias');
    symlinkSync(wt, alias);
    const acts = createToolActivities({ home });
    const r = await acts.runToolCall({ ...laneInput({ id: 'c1', name: 'list', input: {} }), worktreePath: alias });
    expect(r.ok).toBe(true);
  });

  it('heartbeats during bash and, when cancelled, kills it and records no result', async () => {
    const env = new MockActivityEnvironment();
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => {
      beats.push(d);
      if (beats.length === 2) env.cancel('CANCELLED');
    });
    const acts = createToolActivities({ home, heartbeatIntervalMs: 50 });
    const started = Date.now();
    const err = await env
      .run(acts.runToolCall, laneInput({ id: 'c-cancel', name: 'bash', input: { command: 'sleep 1; touch finished.txt; sleep 30' } }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CancelledFailure);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(beats[0]).toMatchObject({ tool: 'bash', callId: 'c-cancel', turn: 1 });
    await sleep(1_500);
    expect(existsSync(join(wt, 'finished.txt'))).toBe(false);
    expect(createArtifactStore({ home }).exists('lane-1', 'tools/1-c-cancel.json')).toBe(false);
  });
});
