// The worker's side of the git host (git-host-main.ts): one small long-lived child that
// spawns the worker's git commands, because every fork() from the big worker copies its
// page tables on the main thread (~15 ms per git at 300 MB RSS; docs/performance.md).
// Only processes that opt in use it (the worker, useGitHost); everything else runs git
// in-process. If the host dies, its pending commands fail as retryable errors naming
// why, and the next command starts a new host. git runs with the environment this
// process had when the host started (the host inherits it and builds gitEnv from it).
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LanesError } from '../lanes-error.js';
import type { GitIdentity, GitOutcome } from './exec.js';
import type { GitHostReply, GitHostRequest } from './git-host-main.js';

/** `LANES_GIT_HOST=off` makes the worker run git in its own process, as before. */
export const GIT_HOST_ENV = 'LANES_GIT_HOST';

// Only the host's own memory matters for what its forks cost; its V8 heap stays small,
// and the worker's execArgv (heap size, --cpu-prof, inspector) is not inherited.
const HOST_EXEC_ARGV = ['--max-old-space-size=512', '--max-semi-space-size=2'];

const LOST_HINT =
  `the step is retried automatically and the next git command starts a new git host; set ${GIT_HOST_ENV}=off to run git inside the worker instead`;

function hostMain(): string {
  const js = fileURLToPath(new URL('./git-host-main.js', import.meta.url));
  // Under vitest this module runs from src/ (TypeScript): the host is the built copy.
  return existsSync(js) ? js : fileURLToPath(new URL('../../dist/git/git-host-main.js', import.meta.url));
}

class GitHost {
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, (outcome: GitOutcome) => void>();
  private nextId = 1;
  private lost: string | undefined;
  private exitedWhy: string | undefined;
  private disconnected = false;
  private grace: NodeJS.Timeout | undefined;
  private readonly onLost: (host: GitHost) => void;
  /** Resolves once the process has exited. */
  readonly closed: Promise<void>;

  constructor(onLost: (host: GitHost) => void) {
    this.onLost = onLost;
    this.child = fork(hostMain(), [], { execArgv: HOST_EXEC_ARGV, serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    // An idle host never keeps the worker alive; a pending command does (see run).
    this.child.unref();
    this.child.channel?.unref();
    this.child.on('message', (reply: GitHostReply) => this.settle(reply.id, reply.outcome));
    // A dead host shows as 'exit' (why) and 'disconnect' (every reply already sent has
    // been read), in either order; pending commands fail once both came, or 1 s after one.
    this.closed = new Promise((resolve) => this.child.once('exit', () => resolve()));
    this.child.once('exit', (code, signal) => {
      this.exitedWhy = signal ? `was killed by ${signal}` : `exited with code ${String(code)}`;
      this.finishSoon();
    });
    this.child.once('disconnect', () => {
      this.disconnected = true;
      this.finishSoon();
    });
    this.child.on('error', (err) => {
      // Spawn failed, or the process could not be signalled: treat it as gone.
      this.exitedWhy ??= `failed (${err.message})`;
      this.finish();
      this.child.kill('SIGKILL');
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  run(dir: string, args: string[], identity: GitIdentity | undefined): Promise<GitOutcome> {
    if (this.lost) return Promise.resolve(this.lostOutcome(this.lost));
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      if (this.pending.size === 1) this.child.channel?.ref();
      const request: GitHostRequest = { id, dir, args, ...(identity ? { identity } : {}) };
      try {
        this.child.send(request, (err) => {
          if (err) this.settle(id, this.lostOutcome(`did not take the command (${err.message})`));
        });
      } catch (err) {
        this.settle(id, this.lostOutcome(`did not take the command (${(err as Error).message})`));
      }
    });
  }

  /** Closes the channel; the host exits on disconnect (or is killed if it does not). */
  async close(): Promise<void> {
    if (this.child.connected) this.child.disconnect();
    const stuck = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await this.closed;
    clearTimeout(stuck);
  }

  private finishSoon(): void {
    if (this.exitedWhy !== undefined && this.disconnected) this.finish();
    else this.grace ??= setTimeout(() => this.finish(), 1_000);
  }

  /** The host is gone (or no longer reachable): fail what is pending, stop using it. */
  private finish(): void {
    clearTimeout(this.grace);
    if (this.lost) return;
    this.loseAll(this.exitedWhy ?? 'closed its channel');
    this.onLost(this);
    // A host that closed its channel but lives on is of no use: make sure it exits.
    if (this.exitedWhy === undefined) this.child.kill('SIGKILL');
  }

  private settle(id: number, outcome: GitOutcome): void {
    const resolve = this.pending.get(id);
    if (!resolve) return;
    this.pending.delete(id);
    if (this.pending.size === 0) this.child.channel?.unref();
    resolve(outcome);
  }

  private loseAll(why: string): void {
    this.lost ??= why;
    for (const id of [...this.pending.keys()]) this.settle(id, this.lostOutcome(this.lost));
  }

  private lostOutcome(why: string): GitOutcome {
    return {
      kind: 'error',
      message: `the git host process (pid ${String(this.child.pid)}) ${why} before git answered; the command may or may not have run`,
      hint: LOST_HINT,
    };
  }
}

let enabled = false;
let host: GitHost | undefined;

function currentHost(): GitHost {
  host ??= new GitHost((gone) => {
    if (host === gone) host = undefined;
  });
  return host;
}

/**
 * Makes this process run its git commands through a git host (started now). Called by the
 * worker at boot; returns false when `LANES_GIT_HOST=off` keeps git in-process.
 */
export function useGitHost(env: NodeJS.ProcessEnv = process.env): boolean {
  const setting = env[GIT_HOST_ENV];
  if (setting !== undefined && setting !== '' && setting !== 'on' && setting !== 'off') {
    throw new LanesError('usage', `${GIT_HOST_ENV} must be "on" or "off", not ${JSON.stringify(setting)}`,
      `unset ${GIT_HOST_ENV} (or set it to "on") to spawn git from the small git host process; "off" spawns git from the worker itself`);
  }
  if (setting === 'off') return false;
  enabled = true;
  currentHost();
  return true;
}

/** Whether runGit sends its commands to the git host. */
export function gitHostEnabled(): boolean {
  return enabled;
}

/** The running host's pid (tests, diagnostics). */
export function gitHostPid(): number | undefined {
  return host?.pid;
}

/** Runs git in the host with the host's gitEnv for `identity` (built from the worker's environment it inherited). */
export function runInGitHost(dir: string, args: string[], identity?: GitIdentity): Promise<GitOutcome> {
  return currentHost().run(dir, args, identity);
}

/** Back to in-process git; the host (if any) exits once its channel is closed. */
export async function closeGitHost(): Promise<void> {
  enabled = false;
  const closing = host;
  host = undefined;
  await closing?.close();
}
