// What the fuzz tests share: the real CLI program run in this process (as src/client/index.ts
// runs it), the check that every line of a refusal names its source and a field path, and
// the listing that proves no file was written.
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CommanderError } from 'commander';
import fc from 'fast-check';
import { expect, vi } from 'vitest';
import { buildProgram } from '../../src/client/program.js';
import { hostileValue } from './hostile-inputs.js';

// After "<source>: ": a syntax problem, a size refusal, or a field path (a plan's task packet
// loaded from a file is named with the file in parentheses: "tasks[1].packet (b.yaml): objective: ").
const FIELD_PATH_LINE = /^(invalid (JSON|YAML)|the (packet|plan) is|(\(root\)|[A-Za-z_[][^ ]*)( \([^)]*\))?: )/;

/** Every line of a refusal names the source and then a field path (or the syntax problem). */
export function expectFieldPathLines(message: string, source: string): void {
  for (const line of message.split('\n')) {
    expect(line.startsWith(`${source}: `), line).toBe(true);
    expect(FIELD_PATH_LINE.test(line.slice(source.length + 2)), line).toBe(true);
  }
}

/** Every file under a directory, recursively. */
export function filesUnder(d: string): string[] {
  return readdirSync(d, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

/**
 * Runs the real CLI program in this process, as src/client/index.ts does: returns the exit
 * code and the error message (the JSON error body of a command, or commander's usage error).
 */
export async function runProgram(argv: string[]): Promise<{ code: number; message: string }> {
  let stdout = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => ((stdout += String(c)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  process.exitCode = undefined;
  try {
    await buildProgram('json').parseAsync(['node', 'lanes', '--json', ...argv]);
    const code = Number(process.exitCode ?? 0);
    return { code, message: code === 0 ? '' : (JSON.parse(stdout) as { error: { message: string } }).error.message };
  } catch (e) {
    if (e instanceof CommanderError) return { code: e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : 2, message: e.message };
    throw e;
  } finally {
    process.exitCode = undefined;
    out.mockRestore();
    err.mockRestore();
  }
}

/** A hostile extra argument: any hostile value as text, or a flag that may confuse the parser. */
export const hostileArg = fc.oneof(hostileValue.map((v) => (typeof v === 'string' ? v : (JSON.stringify(v) ?? 'null'))), fc.constantFrom('--', '-', '--json', '--wait', '--follow', '--address', '--unknown-flag', '-x', '--output-format=xml', '--help=1'));

/**
 * Runs `numRuns` vectors `<command> <hostile file> [hostile args]` through the real program:
 * each must exit 2, a refusal of the file naming it and a field path on every line (a usage
 * problem is commander's one line). Returns how many were refusals of the file.
 */
export async function assertRefusedVectors(opts: { commands: string[][]; documents: fc.Arbitrary<{ text: string; ext: string }>; dir: string; numRuns: number }): Promise<number> {
  let n = 0;
  let fileRefusals = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...opts.commands),
      opts.documents,
      // Two in three vectors carry no extra argument, so most reach the document check.
      fc.oneof({ arbitrary: fc.constant([] as string[]), weight: 2 }, { arbitrary: fc.array(hostileArg, { minLength: 1, maxLength: 3 }), weight: 1 }),
      async (cmd, { text, ext }, extra) => {
        const file = join(opts.dir, `v${n++}${ext}`);
        writeFileSync(file, text, 'latin1');
        const args = [...cmd, file, ...extra.filter((a) => !/^--?(h|help|V|version)$/.test(a))];
        const { code, message } = await runProgram(args);
        expect(code, message).toBe(2);
        expect(message.length).toBeGreaterThan(0);
        if (message.startsWith(file)) expectFieldPathLines(message, file);
        fileRefusals += message.startsWith(file) ? 1 : 0;
      },
    ),
    { numRuns: opts.numRuns, endOnFailure: true },
  );
  return fileRefusals;
}
