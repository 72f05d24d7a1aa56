// The bash tool: one shell command in the worktree, in its own process group, with a
// timeout, capped output and no provider credentials in its environment.
// workspace_write runs it in the OS sandbox (sandbox.ts); danger_full_access runs it
// unconfined by design — that mode is the packet author's explicit opt-out.
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childEnv } from '../shell/child-env.js';
import { runProcessGroup } from '../shell/process-group.js';
import { CappedOutput } from './output-cap.js';
import { isSandboxSetupFailure, sandboxAvailability, sandboxedShell, SHELL_PATH } from './sandbox.js';
import { BASH_DEFAULT_TIMEOUT_MS, BASH_MAX_TIMEOUT_MS, TOOL_OUTPUT_LIMIT_CHARS, type ToolInput } from './specs.js';
import type { ToolContext, ToolOutcome } from './tool-context.js';
import { ToolError, ToolRefusal } from './tool-errors.js';

const HEAD_CHARS = Math.floor(TOOL_OUTPUT_LIMIT_CHARS / 3);

export async function bashTool(ctx: ToolContext, input: ToolInput<'bash'>): Promise<ToolOutcome> {
  const timeoutMs = Math.min(input.timeoutMs ?? BASH_DEFAULT_TIMEOUT_MS, BASH_MAX_TIMEOUT_MS);
  const output = new CappedOutput(HEAD_CHARS, TOOL_OUTPUT_LIMIT_CHARS - HEAD_CHARS);
  let scratch: string | undefined;
  try {
    let file: string;
    let args: string[];
    let env: Record<string, string>;
    let killGraceMs = 2_000;
    if (ctx.permissionMode === 'danger_full_access') {
      file = SHELL_PATH;
      args = ['-c', input.command];
      env = childEnv();
    } else {
      const availability = await sandboxAvailability();
      if (!availability.ok) {
        throw new ToolRefusal(
          'tool_runtime',
          `bash refused: ${ctx.permissionMode} mode runs bash only inside an OS sandbox, and this worker has none (${availability.reason})`,
          'Run the worker on Linux with util-linux (unshare, setpriv) and mount namespaces allowed, or set the packet permission mode to danger_full_access.',
        );
      }
      scratch = realpathSync(mkdtempSync(join(tmpdir(), 'lanes-bash-')));
      const cmd = await sandboxedShell(ctx.root, scratch, input.command);
      if (!cmd) throw new ToolError('bash sandbox vanished after the probe');
      ({ file, args } = cmd);
      env = childEnv(process.env, { TMPDIR: scratch });
      // The sandbox's init process ignores SIGTERM (PID-namespace rule), so a kill is SIGKILL
      // at once; it takes the whole namespace with it, and nothing outside needs cleaning up.
      killGraceMs = 0;
    }
    const res = await runProcessGroup({
      file,
      args,
      cwd: ctx.root,
      env,
      timeoutMs,
      signal: ctx.signal,
      killGraceMs,
      onOutput: (c) => output.push(c),
    });
    const text = output.toString();
    if (isSandboxSetupFailure(res.exitCode, text)) {
      throw new ToolError(`bash sandbox could not be set up: ${text.trim().slice(0, 500)}`);
    }
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
  } finally {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
}
