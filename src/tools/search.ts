// Search tools: glob (file names) and grep (file contents), both confined to the worktree.
import { readFile, stat } from 'node:fs/promises';
import { glob } from 'tinyglobby';
import { resolveInWorktree } from './confine.js';
import { looksBinary } from './files.js';
import { capText } from './output-cap.js';
import { TOOL_OUTPUT_LIMIT_CHARS, type ToolInput } from './specs.js';
import type { ToolContext, ToolOutcome } from './tool-context.js';
import { ToolError, ToolRefusal, toToolError } from './tool-errors.js';

const MAX_GLOB_RESULTS = 1_000;
const MAX_GREP_MATCHES = 200;
const MAX_GREP_FILE_BYTES = 5 * 1024 * 1024;
const MAX_MATCH_LINE_CHARS = 300;
const GIT_IGNORE = ['**/.git/**', '**/.git'];

/** A ".." segment anywhere (including inside braces such as "{..,src}") could walk out. */
const PARENT_SEGMENT = /(^|[/\\{,])\.\.([/\\},]|$)/;

function assertConfinedPattern(pattern: string, field: string): void {
  if (pattern.startsWith('/') || pattern.startsWith('\\') || /^[A-Za-z]:/.test(pattern)) {
    throw new ToolRefusal('workspace_mismatch', `${field} ${JSON.stringify(pattern)} refused: absolute patterns are not allowed`, 'Use a pattern relative to the worktree root, such as "src/**/*.ts".');
  }
  if (PARENT_SEGMENT.test(pattern)) {
    throw new ToolRefusal('workspace_mismatch', `${field} ${JSON.stringify(pattern)} refused: ".." leaves the worktree`, 'Use a pattern relative to the worktree root, such as "src/**/*.ts".');
  }
}

/** Relative paths under `cwd` matching `pattern`; symlinks are not followed, .git is skipped. */
async function confinedGlob(cwd: string, pattern: string): Promise<string[]> {
  const found = await glob([pattern], {
    cwd,
    dot: true,
    onlyFiles: true,
    followSymbolicLinks: false,
    expandDirectories: false,
    ignore: GIT_IGNORE,
  });
  return found.filter((f) => !f.startsWith('../') && f !== '..').sort();
}

export async function globTool(ctx: ToolContext, input: ToolInput<'glob'>): Promise<ToolOutcome> {
  assertConfinedPattern(input.pattern, 'pattern');
  const files = await confinedGlob(ctx.root, input.pattern);
  if (files.length === 0) return { ok: true, output: `no files match ${input.pattern}` };
  const shown = files.slice(0, MAX_GLOB_RESULTS);
  const more = files.length - shown.length;
  return { ok: true, output: shown.join('\n') + (more > 0 ? `\n[${more} more files not shown; narrow the pattern]` : '') };
}

export async function grepTool(ctx: ToolContext, input: ToolInput<'grep'>): Promise<ToolOutcome> {
  let re: RegExp;
  try {
    re = new RegExp(input.pattern);
  } catch (err) {
    throw new ToolError(`pattern ${JSON.stringify(input.pattern)} is not a valid JavaScript regular expression: ${(err as Error).message}`);
  }
  if (input.glob !== undefined) assertConfinedPattern(input.glob, 'glob');
  const base = resolveInWorktree(ctx.root, input.path ?? '.');
  let isDir: boolean;
  try {
    isDir = (await stat(base.real)).isDirectory();
  } catch (err) {
    throw toToolError(err, input.path ?? '.');
  }
  if (!isDir && input.glob !== undefined) throw new ToolError('glob only applies when path is a directory');

  const candidates = isDir
    ? (await confinedGlob(base.real, input.glob ?? '**/*')).map((f) => (base.rel ? `${base.rel}/${f}` : f))
    : [base.rel];

  const matches: string[] = [];
  let skippedBinary = 0;
  let capped = false;
  for (const rel of candidates) {
    if (rel.split('/').includes('.git')) continue;
    let file;
    try {
      // Re-confine each file: a symlinked file inside the tree may point outside it.
      file = resolveInWorktree(ctx.root, rel);
    } catch (err) {
      if (err instanceof ToolRefusal) continue;
      throw err;
    }
    let buf: Buffer;
    try {
      const st = await stat(file.real);
      if (!st.isFile() || st.size > MAX_GREP_FILE_BYTES) continue;
      buf = await readFile(file.real);
    } catch {
      continue; // vanished or unreadable: not worth failing the search over
    }
    if (looksBinary(buf)) {
      skippedBinary++;
      continue;
    }
    const lines = buf.toString('utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (!re.test(line)) continue;
      const shown = line.length > MAX_MATCH_LINE_CHARS ? `${line.slice(0, MAX_MATCH_LINE_CHARS)} [line truncated]` : line;
      matches.push(`${rel}:${i + 1}: ${shown}`);
      if (matches.length >= MAX_GREP_MATCHES) {
        capped = true;
        break;
      }
    }
    if (capped) break;
  }
  const where = input.path ?? 'the worktree';
  if (matches.length === 0) {
    return { ok: true, output: `no matches for /${input.pattern}/ in ${where}${skippedBinary ? ` (${skippedBinary} binary files skipped)` : ''}` };
  }
  const notes = [
    capped ? `[stopped after ${MAX_GREP_MATCHES} matches; narrow the pattern or path]` : '',
    skippedBinary ? `[${skippedBinary} binary files skipped]` : '',
  ].filter(Boolean);
  return { ok: true, output: capText([...matches, ...notes].join('\n'), TOOL_OUTPUT_LIMIT_CHARS) };
}

