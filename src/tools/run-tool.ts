// Dispatches one agent tool call: permission check, input validation, the handler.
// Refusals and tool errors become results the agent reads; only a broken host throws.
import { realpathSync, statSync } from 'node:fs';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { laneFailure, FailureClassSchema } from '../failures.js';
import { bashTool } from './bash.js';
import { editFileTool, listTool, readFileTool, writeFileTool } from './files.js';
import { allowedToolNames, type PermissionMode } from './permissions.js';
import { globTool, grepTool } from './search.js';
import { isToolName, TOOL_NAMES, ToolInputSchemas, type ToolInput, type ToolName } from './specs.js';
import type { ToolContext, ToolOutcome, ToolSandbox } from './tool-context.js';
import { ToolError, ToolRefusal, toToolError } from './tool-errors.js';

export interface ToolCall {
  id: string;
  name: string;
  input: unknown;
}

/** A tool call's result; also the record a retried call replays (tools/<turn>-<callId>.json). */
export const ToolResultSchema = z.object({
  callId: z.string(),
  name: z.string(),
  ok: z.boolean(),
  output: z.string(),
  /** Present when policy refused the call; the agent sees `output`, the lane logs this. */
  refused: z.object({ class: FailureClassSchema, reason: z.string() }).optional(),
  durationMs: z.number(),
});
export type ToolResult = z.infer<typeof ToolResultSchema>;

export interface RunToolOptions {
  /** The lane worktree; every file tool is confined to its realpath. */
  root: string;
  call: ToolCall;
  permissionMode: PermissionMode;
  /** Tool names the packet allows; undefined = all the mode allows. */
  allowlist?: readonly string[];
  /** Globs relative to the worktree that writes must match; undefined = no manifest. */
  writeManifest?: readonly string[];
  /** Aborting kills a running bash command. */
  signal?: AbortSignal;
  /** How bash is confined (src/sandbox). */
  sandbox: ToolSandbox;
}

type Handlers = { [N in ToolName]: (ctx: ToolContext, input: ToolInput<N>) => Promise<ToolOutcome> };
const HANDLERS: Handlers = {
  read_file: readFileTool,
  write_file: writeFileTool,
  edit_file: editFileTool,
  list: listTool,
  glob: globTool,
  grep: grepTool,
  bash: bashTool,
};

function dispatch<N extends ToolName>(name: N, ctx: ToolContext, input: unknown): Promise<ToolOutcome> {
  const parsed = ToolInputSchemas[name].safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : '(input)';
    throw new ToolError(`invalid input for ${name}: ${where}: ${issue?.message ?? 'invalid'}`, 'Call the tool with the fields its input schema lists.');
  }
  return HANDLERS[name](ctx, parsed.data as ToolInput<N>);
}

function assertPermitted(name: ToolName, mode: PermissionMode, allowlist: readonly string[] | undefined): void {
  if (allowedToolNames(mode, allowlist).includes(name)) return;
  const byMode = allowedToolNames(mode).includes(name);
  throw new ToolRefusal(
    'manifest',
    byMode ? `tool ${name} refused: it is not in the packet's tool allowlist` : `tool ${name} refused: permission mode ${mode} does not allow it`,
    `Allowed here: ${allowedToolNames(mode, allowlist).join(', ') || 'none'}.`,
  );
}

function withHint(err: ToolRefusal | ToolError): string {
  return err.hint ? `${err.message}. ${err.hint}` : err.message;
}

/**
 * Runs one tool call in the worktree `root`. Never throws for a refusal or a failed tool;
 * throws a laneFailure only when the host itself is broken (`infra`) or `root` is not a
 * usable worktree (`workspace_mismatch`). Nothing outside the worktree is changed (bash in
 * danger_full_access mode excepted, by design, but never the repository's git dir).
 */
export async function runTool(opts: RunToolOptions): Promise<ToolResult> {
  const started = performance.now();
  const { call } = opts;
  const base = { callId: call.id, name: call.name };
  const elapsed = (): number => Math.round(performance.now() - started);

  let root: string;
  try {
    root = realpathSync(opts.root);
    if (!statSync(root).isDirectory()) throw new TypeError('not a directory');
  } catch (err) {
    throw laneFailure('workspace_mismatch', `worktree ${opts.root} is missing or not a directory: ${(err as Error).message}`, {
      hint: 'Recreate the lane worktree before running tools in it.',
    });
  }

  const ctx: ToolContext = { root, permissionMode: opts.permissionMode, writeManifest: opts.writeManifest, signal: opts.signal, sandbox: opts.sandbox };
  try {
    if (!isToolName(call.name)) {
      throw new ToolError(`unknown tool ${JSON.stringify(call.name)}`, `Built-in tools are: ${TOOL_NAMES.join(', ')}.`);
    }
    assertPermitted(call.name, opts.permissionMode, opts.allowlist);
    const out = await dispatch(call.name, ctx, call.input);
    return { ...base, ok: out.ok, output: out.output, durationMs: elapsed() };
  } catch (err) {
    if (err instanceof ToolRefusal) {
      return {
        ...base,
        ok: false,
        output: `refused (${err.refusalClass}): ${withHint(err)}`,
        refused: { class: err.refusalClass, reason: err.message },
        durationMs: elapsed(),
      };
    }
    let toolErr: ToolError | undefined;
    if (err instanceof ToolError) toolErr = err;
    else if (!(err instanceof ApplicationFailure)) {
      try {
        toolErr = toToolError(err, String((call.input as { path?: unknown } | null)?.path ?? call.name));
      } catch {
        toolErr = undefined;
      }
    }
    if (toolErr) return { ...base, ok: false, output: `error: ${withHint(toolErr)}`, durationMs: elapsed() };
    if (err instanceof ApplicationFailure) throw err;
    throw laneFailure('infra', `tool ${call.name} failed on the worker host: ${(err as Error).message}`, {
      hint: 'Check the worker host (disk, permissions, process limits); the call is retried.',
    }, err as Error);
  }
}
