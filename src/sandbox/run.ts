// Runs one lane command in the sandbox: plans it, makes its scratch dir, runs it as a
// process group with the scrubbed environment, and cleans up. The single entry point for
// agent bash, acceptance commands and external agent processes.
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProcessGroup, type ProcessGroupResult } from '../shell/process-group.js';
import { sandboxEnv } from './env.js';
import { isSandboxSetupFailure, sandboxedCommand, SHELL_PATH } from './namespace.js';
import { type ModelRelay, type RelayTarget, relayedCommand, startModelRelay } from './model-relay.js';
import { planSandbox, SandboxPlanError, type PlanInput } from './plan.js';

/** The sandbox could not be planned or built: the command did not run. */
export class SandboxRefused extends Error {
  override name = 'SandboxRefused';
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

export const SANDBOX_UNAVAILABLE_HINT =
  'Run the worker on Linux with util-linux (unshare, mount, setpriv) and unprivileged user namespaces allowed (or as root); `lanes doctor` shows which sandbox features this host supports.';

export interface RunSandboxedOptions extends Omit<PlanInput, 'scratch'> {
  command: string;
  timeoutMs: number;
  signal?: AbortSignal;
  onOutput?: (chunk: string) => void;
  /** Packet `secrets`: worker variables passed through to the command. */
  secrets?: readonly string[];
  /** Variables Lanes sets for the command itself (e.g. the doctor's LANES_CANARY). */
  env?: Record<string, string>;
  /**
   * The command's whole environment, built by the caller from an allowlist (external agents:
   * their own provider's credentials and nothing else), instead of the worker's scrubbed one.
   */
  baseEnv?: Record<string, string>;
  /** Written to the command's stdin, which is then closed. */
  input?: string;
  onStdout?: (chunk: string) => void;
  onStderr?: (chunk: string) => void;
  /** Wraps the sandbox's launcher, e.g. in the guard that kills the group when the worker dies. */
  wrap?: (file: string, args: string[]) => { file: string; args: string[] };
  /** With network `loopback`: the one host endpoint (the agent's model) relayed into the sandbox. */
  relay?: RelayTarget;
}

export async function runSandboxed(opts: RunSandboxedOptions): Promise<ProcessGroupResult> {
  const scratch = realpathSync(mkdtempSync(join(tmpdir(), 'lanes-run-')));
  const stage = mkdtempSync(join(tmpdir(), 'lanes-stage-'));
  let relay: ModelRelay | undefined;
  try {
    let plan;
    try {
      plan = planSandbox({ ...opts, scratch });
    } catch (err) {
      if (err instanceof SandboxPlanError) throw new SandboxRefused(err.message, err.hint);
      throw err;
    }
    if (opts.relay && plan.network !== 'loopback') throw new SandboxRefused(`a model relay needs sandbox network "loopback", not "${plan.network}"`, 'This is a Lanes bug: relays are planned only for a private loopback.');
    relay = opts.relay ? await startModelRelay(scratch, opts.relay) : undefined;
    const command = relay && opts.relay ? relayedCommand(opts.relay, relay.socketPath, SHELL_PATH, opts.command) : opts.command;
    const cmd = await sandboxedCommand(plan, stage, command);
    if ('refused' in cmd) throw new SandboxRefused(`no OS sandbox for lane commands on this worker (${cmd.refused})`, SANDBOX_UNAVAILABLE_HINT);
    const launch = opts.wrap ? opts.wrap(cmd.file, cmd.args) : cmd;
    // $HOME is read-only: caches that tools write by default go to the scratch dir instead.
    const scratchEnv = { TMPDIR: scratch, XDG_CACHE_HOME: join(scratch, '.cache'), npm_config_cache: join(scratch, '.npm') };
    let head = '';
    const res = await runProcessGroup({
      file: launch.file,
      args: launch.args,
      cwd: plan.cwd,
      env: opts.baseEnv ? { ...opts.baseEnv, ...scratchEnv, ...opts.env } : sandboxEnv({ secrets: opts.secrets, extra: { ...opts.env, ...scratchEnv } }),
      timeoutMs: opts.timeoutMs,
      signal: opts.signal,
      // With a PID namespace the sandbox's init ignores SIGTERM, so a kill is SIGKILL at once;
      // it takes the whole namespace with it.
      killGraceMs: 0,
      ...(opts.input !== undefined ? { input: opts.input } : {}),
      ...(opts.onStdout ? { onStdout: opts.onStdout } : {}),
      ...(opts.onStderr ? { onStderr: opts.onStderr } : {}),
      onOutput: (c) => {
        if (head.length < 2_000) head += c;
        opts.onOutput?.(c);
      },
    });
    if (isSandboxSetupFailure(res.exitCode, head)) {
      throw new SandboxRefused(`the sandbox could not be set up: ${head.trim().slice(0, 500)}`, SANDBOX_UNAVAILABLE_HINT);
    }
    return res;
  } finally {
    await relay?.close();
    rmSync(scratch, { recursive: true, force: true });
    rmSync(stage, { recursive: true, force: true });
  }
}
