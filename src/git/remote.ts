// Landing on a remote repository (packet `repo.url`): the candidate is built and tested in the
// host's mirror (mirror.ts) like a local one; the target then moves only on the remote, by a
// compare-and-swap push: `--force-with-lease=<target>:<expected>` on a plain refspec, so git
// refuses unless the remote target still holds the head the candidate was built from. A
// refused push is target_moved (the lane merges forward, tests again, retries); never a force.
import { tmpdir } from 'node:os';
import { laneFailure } from '../failures.js';
import { GitCommandError } from './client.js';
import { type AdvanceTargetInput, type AdvanceTargetResult, candidateLandedIn } from './landing.js';
import { ensureMirror, remoteGit, syncMirror, withMirrorLock } from './mirror.js';
import { branchHead, isAncestor, laneCommitsIn } from './refs.js';
import { assertLaneId } from './worktrees.js';
import { redactUrls } from '../shared/repo-url.js';

export async function advanceRemoteTarget(home: string, url: string, input: AdvanceTargetInput): Promise<AdvanceTargetResult> {
  const { laneId, target, candidateHead, expectedTargetHead } = input;
  assertLaneId(laneId);
  const mirror = await ensureMirror(home, url);
  return withMirrorLock(mirror, async () => {
    const remoteHead = async (): Promise<string> => {
      await syncMirror(mirror, { branches: [target] });
      const head = await branchHead(mirror, target);
      if (!head) throw laneFailure('validator', `target branch "${target}" does not exist on ${redactUrls(url)}`, { hint: 'create the branch on the remote or correct merge.target in the task packet' });
      return head;
    };
    // Landed (now or by an earlier attempt): the report lists what the landing brought.
    const landed = async (head: string): Promise<AdvanceTargetResult> => ({
      landed: true,
      targetHead: head,
      landedCommits: await laneCommitsIn(mirror, `${expectedTargetHead}..${candidateHead}`),
    });
    const decide = async (head: string): Promise<AdvanceTargetResult | null> => {
      if (await candidateLandedIn(mirror, laneId, candidateHead, head)) return landed(head);
      if (head !== expectedTargetHead) return { landed: false, targetHead: head, reason: 'target_moved' };
      return null;
    };
    const before = await decide(await remoteHead());
    if (before) return before;
    if (!(await isAncestor(mirror, expectedTargetHead, candidateHead))) {
      throw laneFailure('branch_divergence', `candidate ${candidateHead.slice(0, 12)} does not descend from ${target} at ${expectedTargetHead.slice(0, 12)}; refusing a non-fast-forward`, {
        hint: 'prepare the candidate again from the current target head',
      });
    }
    try {
      await remoteGit(mirror, ['push', '--quiet', '--no-verify', `--force-with-lease=refs/heads/${target}:${expectedTargetHead}`, 'origin', `${candidateHead}:refs/heads/${target}`]);
    } catch (err) {
      if (!(err instanceof GitCommandError)) throw err;
      // Refused, or the answer was lost: what the remote holds now decides.
      const after = await decide(await remoteHead());
      if (after) return after;
      throw err;
    }
    await syncMirror(mirror, { branches: [target] });
    return landed((await branchHead(mirror, target)) ?? candidateHead);
  });
}

/** The remote's branches (name -> head), read with `git ls-remote` (the client's submit preflight). */
export async function listRemoteBranches(url: string): Promise<Map<string, string>> {
  const out = await remoteGit(tmpdir(), ['ls-remote', '--heads', '--', url]);
  const heads = new Map<string, string>();
  for (const line of out.split('\n')) {
    const [sha, ref] = line.split('\t');
    if (sha && ref?.startsWith('refs/heads/')) heads.set(ref.slice('refs/heads/'.length), sha);
  }
  return heads;
}
