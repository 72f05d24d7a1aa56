// The binary loads only the invoked command's module (src/client/launch.ts); these
// checks keep that lazy path equal to the full program.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { COMMAND_MODULES, type ManifestEntry } from '../../src/client/command-modules.js';
import { buildProgramFor, invokedCommand } from '../../src/client/launch.js';
import { buildProgram } from '../../src/client/program.js';
import { LANES_BIN } from '../support/cli.js';

// The manifest the build wrote next to the compiled launcher (tests run after npm run build).
const manifest = JSON.parse(readFileSync(new URL('../../dist/client/cli-manifest.json', import.meta.url), 'utf8')) as ManifestEntry[];
const summary = (cmds: readonly { name(): string; description(): string }[]) => cmds.map((c) => `${c.name()}: ${c.description()}`);

describe('lazy CLI launch', () => {
  it('finds the invoked command past global options, and `help <cmd>`', () => {
    expect(invokedCommand(['--json', '--address', 'h:1', 'status', 'x'])).toBe('status');
    expect(invokedCommand(['--output-format', 'json', 'list'])).toBe('list');
    expect(invokedCommand(['help', 'submit'])).toBe('submit');
    expect(invokedCommand(['--help'])).toBeUndefined();
    // Must not: take a global option's value for the command.
    expect(invokedCommand(['--namespace', 'status', 'list'])).toBe('list');
  });

  it('the module table registers exactly the commands of the full program, in the same order', async () => {
    const full = buildProgram('text');
    const lazy = await buildProgramFor(['--help'], 'text', manifest);
    expect(summary(lazy.commands)).toEqual(summary(full.commands));
    expect(Object.keys(COMMAND_MODULES)).toHaveLength(19);
  });

  it('the built manifest (npm run build) matches the command modules', async () => {
    expect(manifest.map((e) => `${e.name}: ${e.description}`)).toEqual(summary(buildProgram('text').commands));
  });

  it('loads the invoked module for real: its options exist, the others are name-only', async () => {
    const p = await buildProgramFor(['submit', 'x.json'], 'text', manifest);
    const submit = p.commands.find((c) => c.name() === 'submit')!;
    expect(submit.options.map((o) => o.long)).toContain('--wait');
    const worker = p.commands.find((c) => c.name() === 'worker')!;
    // Must not: load the worker module (and with it the Temporal worker SDK) for `submit`.
    expect(worker.options).toHaveLength(0);
  });

  it('loads every module for a command that reads the whole tree (completion)', async () => {
    const p = await buildProgramFor(['completion', 'bash'], 'text', manifest);
    expect(p.commands.find((c) => c.name() === 'worker')!.options.map((o) => o.long)).toContain('--supervise');
  });

  it('`lanes --help` in a fresh process loads no Temporal SDK (it costs most of a start)', async () => {
    // Runs the built binary's entry (the bundle), then lists the CommonJS packages Node loaded (ESM imports of them land there too).
    const probe = async (args: string[]) => {
      const script = `
        process.argv = [process.argv[0], 'lanes', ...${JSON.stringify(args)}];
        let out = '';
        process.stdout.write = (s) => ((out += s), true);
        await import(${JSON.stringify(fileURLToPath(new URL('../../dist/cli/index.js', import.meta.url)))});
        const { createRequire } = await import('node:module');
        const loaded = Object.keys(createRequire(import.meta.url).cache).map((k) => k.split('node_modules/').pop().split('/').slice(0, k.includes('/@') ? 2 : 1).join('/'));
        console.error(JSON.stringify({ out, packages: [...new Set(loaded)] }));`;
      const r = await execa(process.execPath, ['--input-type=module', '-e', script], { reject: false });
      return JSON.parse(r.stderr.trim().split('\n').pop()!) as { out: string; packages: string[] };
    };
    const help = await probe(['--help']);
    expect(help.out).toContain('Usage: lanes');
    // Must NOT: load the Temporal SDK just to print help.
    expect(help.packages.filter((p) => p.startsWith('@temporalio'))).toEqual([]);
    // The probe sees what a command module loads (commander and zod are inside the bundle).
    const send = await probe(['send', '--help']);
    expect(send.packages).toContain('@temporalio/client');
    expect(send.packages).not.toContain('commander');
    // The lane module (status, events, list: the HTTP read path) loads the Temporal client only when a command needs gRPC.
    const status = await probe(['status', '--help']);
    expect(status.packages.filter((p) => p.startsWith('@temporalio'))).toEqual([]);
  });

  it('the binary runs the bundled CLI: a lane command loads a few bundle files, not the compiled tree or zod\'s files', async () => {
    // Records every ES module Node resolves while `lanes status --help` loads the lane commands for real.
    const hook = `export async function resolve(s, c, next) { const r = await next(s, c); if (r.url.startsWith('file:')) process.stderr.write('LOADED ' + r.url + '\\n'); return r; }`;
    const register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)});`;
    const r = await execa(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(register)}`, LANES_BIN, 'status', '--help'], { reject: false });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('recommended next action');
    const loaded = r.stderr.split('\n').filter((l) => l.startsWith('LOADED ')).map((l) => l.slice('LOADED '.length));
    const dist = fileURLToPath(new URL('../../dist/', import.meta.url));
    const ours = loaded.filter((u) => fileURLToPath(u).startsWith(dist));
    expect(ours.length).toBeGreaterThan(1);
    // Must NOT: load a compiled module outside the bundle (dist/cli/), or zod's ~100 ESM files one by one.
    expect(ours.filter((u) => !fileURLToPath(u).startsWith(`${dist}cli/`))).toEqual([]);
    expect(loaded.filter((u) => u.includes('/node_modules/zod/'))).toEqual([]);
  });
});
