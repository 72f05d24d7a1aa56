// File tools: read_file, write_file, edit_file, list. Every path goes through
// resolveInWorktree, and every write through assertWritable, before the disk is touched.
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { resolveInWorktree } from './confine.js';
import { READ_DEFAULT_LIMIT_LINES, TOOL_OUTPUT_LIMIT_CHARS, type ToolInput } from './specs.js';
import type { ToolContext, ToolOutcome } from './tool-context.js';
import { ToolError, ToolRefusal, toToolError } from './tool-errors.js';
import { capText } from './output-cap.js';
import { assertWritable } from './write-manifest.js';

/** Files larger than this are not read whole; the agent can grep them instead. */
const MAX_READ_BYTES = 20 * 1024 * 1024;
const MAX_LINE_CHARS = 2_000;
const MAX_LIST_ENTRIES = 1_000;

/** A NUL byte in the first 8 KiB is how git, grep and ripgrep tell binary from text too. */
export function looksBinary(buf: Uint8Array): boolean {
  return buf.subarray(0, 8192).includes(0);
}

async function readTextFile(real: string, p: string): Promise<string> {
  try {
    const st = await stat(real);
    if (st.isDirectory()) throw new ToolError(`${p} is a directory`, 'Use the list tool for directories.');
    if (st.size > MAX_READ_BYTES) throw new ToolError(`${p} is ${st.size} bytes, more than ${MAX_READ_BYTES} can be read`, 'Use grep to find the part you need.');
    const buf = await readFile(real);
    if (looksBinary(buf)) throw new ToolError(`${p} is a binary file`, 'Only text files can be read or edited.');
    return buf.toString('utf8');
  } catch (err) {
    if (err instanceof ToolError) throw err;
    throw toToolError(err, p);
  }
}

export async function readFileTool(ctx: ToolContext, input: ToolInput<'read_file'>): Promise<ToolOutcome> {
  const target = resolveInWorktree(ctx.root, input.path);
  const text = await readTextFile(target.real, input.path);
  if (text === '') return { ok: true, output: `(${input.path} is empty)` };
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const start = (input.offset ?? 1) - 1;
  const limit = input.limit ?? READ_DEFAULT_LIMIT_LINES;
  if (start >= lines.length) {
    throw new ToolError(`${input.path} has ${lines.length} lines; offset ${input.offset} is past the end`);
  }
  const slice = lines.slice(start, start + limit);
  const width = String(start + slice.length).length;
  let out = slice
    .map((l, i) => `${String(start + i + 1).padStart(width)}\t${l.length > MAX_LINE_CHARS ? `${l.slice(0, MAX_LINE_CHARS)} [line truncated]` : l}`)
    .join('\n');
  const end = start + slice.length;
  if (start > 0 || end < lines.length) {
    out += `\n[lines ${start + 1}-${end} of ${lines.length}${end < lines.length ? `; use offset=${end + 1} to read on` : ''}]`;
  }
  return { ok: true, output: capText(out, TOOL_OUTPUT_LIMIT_CHARS) };
}

/** The largest file write_file or edit_file will write (a resource cap, like the landing screen's size limit). */
export const MAX_WRITE_BYTES = 5_000_000;

function assertWriteSize(path: string, content: string): void {
  const bytes = Buffer.byteLength(content, 'utf8');
  if (bytes > MAX_WRITE_BYTES) {
    throw new ToolRefusal('manifest', `${path}: ${bytes} bytes is over the ${MAX_WRITE_BYTES}-byte limit for one file; nothing was written`, 'Write smaller files; generated or binary artifacts do not belong in the lane\'s change.');
  }
}

export async function writeFileTool(ctx: ToolContext, input: ToolInput<'write_file'>): Promise<ToolOutcome> {
  const target = resolveInWorktree(ctx.root, input.path);
  assertWritable(input.path, target, ctx.writeManifest);
  assertWriteSize(input.path, input.content);
  let existed = true;
  try {
    const st = await stat(target.real).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    existed = st !== undefined;
    if (st?.isDirectory()) throw new ToolError(`${input.path} is a directory`);
    // Parents are created under the confined real path, so they cannot land outside the worktree.
    await mkdir(dirname(target.real), { recursive: true });
    await writeFile(target.real, input.content, 'utf8');
  } catch (err) {
    if (err instanceof ToolError) throw err;
    throw toToolError(err, input.path);
  }
  const bytes = Buffer.byteLength(input.content, 'utf8');
  return { ok: true, output: `${existed ? 'overwrote' : 'created'} ${target.rel} (${bytes} bytes)` };
}

export async function editFileTool(ctx: ToolContext, input: ToolInput<'edit_file'>): Promise<ToolOutcome> {
  const target = resolveInWorktree(ctx.root, input.path);
  assertWritable(input.path, target, ctx.writeManifest);
  const text = await readTextFile(target.real, input.path);
  if (input.old_string === input.new_string) throw new ToolError('old_string and new_string are identical; nothing to change');
  const count = text.split(input.old_string).length - 1;
  if (count === 0) {
    throw new ToolError(`old_string was not found in ${input.path}`, 'Read the file and copy the exact text, including whitespace.');
  }
  if (count > 1 && !input.replace_all) {
    throw new ToolError(
      `old_string occurs ${count} times in ${input.path}; the edit is ambiguous`,
      'Include more surrounding lines to make it unique, or set replace_all to true.',
    );
  }
  // split/join and slicing, not String.replace: "$&" in new_string must stay literal.
  const next = input.replace_all
    ? text.split(input.old_string).join(input.new_string)
    : (() => {
        const at = text.indexOf(input.old_string);
        return text.slice(0, at) + input.new_string + text.slice(at + input.old_string.length);
      })();
  assertWriteSize(input.path, next);
  try {
    await writeFile(target.real, next, 'utf8');
  } catch (err) {
    throw toToolError(err, input.path);
  }
  return { ok: true, output: `edited ${target.rel}: replaced ${input.replace_all ? count : 1} occurrence(s)` };
}

export async function listTool(ctx: ToolContext, input: ToolInput<'list'>): Promise<ToolOutcome> {
  const p = input.path ?? '.';
  const target = resolveInWorktree(ctx.root, p);
  let entries;
  try {
    entries = await readdir(target.real, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') throw new ToolError(`${p} is a file, not a directory`, 'Use read_file for files.');
    throw toToolError(err, p);
  }
  const names = entries
    .map((e) => e.name + (e.isDirectory() ? '/' : e.isSymbolicLink() ? '@' : ''))
    .sort((a, b) => a.localeCompare(b));
  if (names.length === 0) return { ok: true, output: `(${p} is empty)` };
  const shown = names.slice(0, MAX_LIST_ENTRIES);
  const more = names.length - shown.length;
  return { ok: true, output: shown.join('\n') + (more > 0 ? `\n[${more} more entries not shown]` : '') };
}
