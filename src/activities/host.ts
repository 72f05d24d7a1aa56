// Host affinity (DESIGN.md §1): a lane's worktree, MCP processes and artifacts
// live on one host, so its host-bound activities go to that host's own queue.
import { hostname } from 'node:os';
import { realpathSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import { urlUnderRoots } from '../git/remote-url.js';
import { isRemoteUrl } from '../shared/repo-url.js';

/** The queue a worker on this host polls for host-bound activities. */
export function hostQueueName(taskQueue: string, hostId: string): string {
  return `${taskQueue}@${hostId}`;
}

export function defaultHostId(env: NodeJS.ProcessEnv = process.env): string {
  return env.LANES_HOST_ID || hostname();
}

function real(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
}

/** True when path is one of the roots or inside one (after resolving symlinks). */
export function isUnderRoots(path: string, roots: readonly string[]): boolean {
  // A remote (repo.url) is trusted by a URL root that prefixes it; file:// by its path.
  if (isRemoteUrl(path)) return urlUnderRoots(path, roots, (p) => isUnderRoots(p, roots));
  const p = real(path);
  return roots.some((r) => {
    if (isRemoteUrl(r)) return false;
    const root = real(r);
    return p === root || p.startsWith(root.endsWith(sep) ? root : root + sep);
  });
}

export function createHostActivities(deps: { hostQueue: string; hostId: string; trustedRoots: readonly string[] }) {
  return {
    /**
     * Binds a lane to the host whose worker picked up this activity.
     * Failure semantics: idempotent per (lane); a retry may land on another host,
     * which is fine before the worktree exists — the lane binds to the answer it records.
     */
    async claimHost(_input: { laneId: string }): Promise<{ hostQueue: string; hostId: string }> {
      return { hostQueue: deps.hostQueue, hostId: deps.hostId };
    },
    /**
     * Whether a repository is under the worker's trusted roots (LANES_TRUSTED_ROOTS,
     * config trustedRoots, and $LANES_HOME). Failure semantics: pure read; a retry re-reads.
     */
    async checkTrust(input: { repoPath: string }): Promise<{ trusted: boolean; trustedRoots: string[] }> {
      return { trusted: isUnderRoots(input.repoPath, deps.trustedRoots), trustedRoots: [...deps.trustedRoots] };
    },
  };
}
