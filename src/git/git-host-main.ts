// The git host: a small Node process the worker forks (git-host.ts) to spawn its git
// commands. Forking copies the page tables of the process that forks, synchronously on
// its main thread, so a git spawned by a 300 MB worker costs ~17 ms where one spawned
// from here costs ~4 ms. It runs what the worker sends with hooks off and no shell
// (execGit), and exits as soon as the worker's IPC channel closes.
//
// git's environment is built here, by the same gitEnv the in-process path uses, from this
// process's environment: the worker's own, inherited when it forked the host. Building it
// once per identity here spares the worker a walk of its environment per git command
// (~2 s of its main thread at 50 lanes) and the IPC bytes of sending it each time.
import { execGit, gitEnv, type GitIdentity, type GitOutcome } from './exec.js';

export interface GitHostRequest {
  id: number;
  dir: string;
  args: string[];
  /** The commit identity; DEFAULT_IDENTITY when absent. */
  identity?: GitIdentity;
}

export interface GitHostReply {
  id: number;
  outcome: GitOutcome;
}

if (!process.send) {
  process.stderr.write('git-host-main: started without an IPC channel; the Lanes worker starts this process itself\n');
  process.exit(2);
}

// Ctrl-C or a SIGTERM to the worker's process group must not take git away from a
// draining worker: the host lives exactly as long as its channel to the worker.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => {});
process.on('disconnect', () => process.exit(0));

// This process's environment never changes, so each identity's git env is built once.
const envs = new Map<string, Record<string, string>>();
function envFor(identity: GitIdentity | undefined): Record<string, string> {
  const key = identity ? `${identity.name}\0${identity.email}` : '';
  let env = envs.get(key);
  if (!env) envs.set(key, (env = gitEnv(identity)));
  return env;
}

process.on('message', (message: GitHostRequest) => {
  void execGit(message.dir, message.args, envFor(message.identity)).then((outcome) => {
    // A failed send means the worker is gone; 'disconnect' ends this process.
    process.send?.({ id: message.id, outcome } satisfies GitHostReply, () => {});
  });
});
