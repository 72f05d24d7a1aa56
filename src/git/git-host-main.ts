// The git host: a small Node process the worker forks (git-host.ts) to spawn its git
// commands. Forking copies the page tables of the process that forks, synchronously on
// its main thread, so a git spawned by a 300 MB worker costs ~17 ms where one spawned
// from here costs ~4 ms. It runs exactly what the worker sends (already-filtered env,
// hooks off, no shell: execGit) and exits as soon as the worker's IPC channel closes.
import { execGit, type GitOutcome } from './exec.js';

export interface GitHostRequest {
  id: number;
  dir: string;
  args: string[];
  env: Record<string, string>;
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

process.on('message', (message: GitHostRequest) => {
  void execGit(message.dir, message.args, message.env).then((outcome) => {
    // A failed send means the worker is gone; 'disconnect' ends this process.
    process.send?.({ id: message.id, outcome } satisfies GitHostReply, () => {});
  });
});
