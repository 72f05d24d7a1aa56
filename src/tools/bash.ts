// The bash tool: one shell command in the worktree, in its own process group, with a
// timeout and capped output, always inside the lane sandbox (src/sandbox): confined in
// read_only/workspace_write; in danger_full_access (the packet author's explicit opt-out)
// everything is writable except the repository's git dir, and the network is the host's.
import { runSandboxed, SandboxRefused } from '../sandbox/index.js';
import { CappedOutput } from './output-cap.js';
import { BASH_DEFAULT_TIMEOUT_MS, BASH_MAX_TIMEOUT_MS, TOOL_OUTPUT_LIMIT_CHARS, type ToolInput } from './specs.js';
import type { ToolContext, ToolOutcome } from './tool-context.js';
import { ToolRefusal } from './tool-errors.js';

const HEAD_CHARS = Math.floor(TOOL_OUTPUT_LIMIT_CHARS / 3);

export async function bashTool(ctx: ToolContext, input: ToolInput<'bash'>): Promise<ToolOutcome> {
  const timeoutMs = Math.min(input.timeoutMs ?? BASH_DEFAULT_TIMEOUT_MS, BASH_MAX_TIMEOUT_MS);
  const output = new CappedOutput(HEAD_CHARS, TOOL_OUTPUT_LIMIT_CHARS - HEAD_CHARS);
  let res;
  try {
    res = await runSandboxed({
      home: ctx.sandbox.home,
      root: ctx.root,
      permissionMode: ctx.permissionMode,
      settings: ctx.sandbox.settings,
      allowHostNetwork: ctx.sandbox.allowHostNetwork,
      secrets: ctx.sandbox.secrets,
      command: input.command,
      timeoutMs,
      signal: ctx.signal,
      onOutput: (c) => output.push(c),
    });
  } catch (err) {
    if (err instanceof SandboxRefused) throw new ToolRefusal('tool_runtime', `bash refused: ${err.message}`, err.hint);
    throw err;
  }
  const text = output.toString();
  const status = res.timedOut
    ? `[timed out after ${timeoutMs} ms; process group killed]`
    : res.cancelled
      ? '[cancelled; process group killed]'
      : res.exitCode === null
        ? `[killed by ${res.signal}]`
        : `[exit code ${res.exitCode}]`;
  return {
    ok: res.exitCode === 0 && !res.timedOut && !res.cancelled,
    output: `${text}${text && !text.endsWith('\n') ? '\n' : ''}${status}`,
  };
}
