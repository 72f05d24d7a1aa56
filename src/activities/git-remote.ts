// Git activities for lanes on a remote repository (packet `repo.url`, DESIGN.md §3): the same
// activities and inputs as the local ones (the workflow passes the URL where it passes a path),
// run against this host's mirror of the remote (src/git/mirror.ts): fetched before a lane
// starts, before merging forward and before landing; the lane branch pushed after every
// checkpoint and merge, so another host can re-home the lane from the remote; the target moved
// only by a compare-and-swap push (src/git/remote.ts). Local repositories pass straight through.
import { runGit } from '../git/client.js';
import { landingSlotKey, releaseLandingSlot, releaseLandingSlotsOf, takeLandingSlot } from '../git/landing-slot.js';
import { ensureMirror, freshMirror, mirrorOfWorktree, pushLaneBranch, syncMirror, withMirrorLock } from '../git/mirror.js';
import { preflightBranches } from '../git/preflight.js';
import { advanceRemoteTarget } from '../git/remote.js';
import { isRemoteUrl } from '../shared/repo-url.js';
import { type FaultInjector, NO_FAULTS } from '../faults/index.js';
import { boundary, type GitActivities, refuseProblems } from './git.js';

type Act<K extends keyof GitActivities> = GitActivities[K];
type In<K extends keyof GitActivities> = Parameters<Act<K>>[0];

export function withRemoteRepos(home: string, local: GitActivities, faults: FaultInjector = NO_FAULTS): GitActivities {
  /** Pushes the lane branch checked out in `worktreePath` when the worktree comes from a mirror. */
  const pushFrom = async (worktreePath: string): Promise<void> => {
    const mirror = await mirrorOfWorktree(home, worktreePath);
    if (!mirror) return;
    const branch = (await runGit(worktreePath, ['symbolic-ref', '--short', 'HEAD'])).trim();
    await pushLaneBranch(mirror, branch);
  };
  /** Fetches and brings `base` up to the remote before a step compares the lane with it. */
  const fetchFor = async (worktreePath: string, base: string): Promise<void> => {
    const mirror = await mirrorOfWorktree(home, worktreePath);
    if (mirror) await withMirrorLock(mirror, () => syncMirror(mirror, { branches: [base] }));
  };
  /** Runs a worktree step that may move the lane branch: fetch before, push when it moved. */
  const movesBranch = <K extends 'mergeForward' | 'rebaseOntoBase'>(name: K) =>
    boundary(name, async (input: In<K>) => {
      await fetchFor(input.worktreePath, input.base);
      const r = await local[name](input);
      if (r.merged) await pushFrom(input.worktreePath);
      return r;
    });

  return {
    ...local,

    preflightLane: boundary('preflightLane', async (input: In<'preflightLane'>) => {
      if (!isRemoteUrl(input.repoPath)) return local.preflightLane(input);
      const mirror = await freshMirror(home, input.repoPath, { branches: [input.baseBranch, input.target], laneBranch: input.branch });
      return refuseProblems(await preflightBranches({ ...input, repoPath: mirror }));
    }),

    prepareWorktree: boundary('prepareWorktree', async (input: In<'prepareWorktree'>) => {
      if (!isRemoteUrl(input.repoPath)) return local.prepareWorktree(input);
      // A lane re-homed here finds its branch on the remote: the worktree is recreated from it.
      const mirror = await freshMirror(home, input.repoPath, { branches: [input.baseBranch], laneBranch: input.branch });
      // Heads read before this fetch are not the mirror's now: read them again.
      const { known: _stale, ...fresh } = input;
      return local.prepareWorktree({ ...fresh, repoPath: mirror });
    }),

    commitWork: boundary('commitWork', async (input: In<'commitWork'>) => {
      const r = await local.commitWork(input);
      // Also on a retry (created:false): the push may be what failed the first time.
      if (r.sha) await pushFrom(input.worktreePath);
      return r;
    }),

    branchStatus: boundary('branchStatus', async (input: In<'branchStatus'>) => {
      await fetchFor(input.worktreePath, input.base);
      return local.branchStatus(input);
    }),
    mergeForward: movesBranch('mergeForward'),
    rebaseOntoBase: movesBranch('rebaseOntoBase'),

    prepareCandidate: boundary('prepareCandidate', async (input: In<'prepareCandidate'>) => {
      if (!isRemoteUrl(input.repoPath)) return local.prepareCandidate(input);
      const mirror = await ensureMirror(home, input.repoPath);
      const slot = landingSlotKey(mirror, input.target);
      // Take the host's landing turn first, then fetch: the target is as fresh as it can be.
      await takeLandingSlot(slot, input.laneId);
      try {
        await withMirrorLock(mirror, () => syncMirror(mirror, { branches: [input.target], laneBranch: input.branch }));
        const r = await local.prepareCandidate({ ...input, repoPath: mirror });
        if (r.alreadyLanded || r.conflict) releaseLandingSlot(slot, input.laneId);
        return r;
      } catch (err) {
        releaseLandingSlot(slot, input.laneId);
        throw err;
      }
    }),

    advanceTarget: boundary('advanceTarget', async (input: In<'advanceTarget'>) => {
      if (!isRemoteUrl(input.repoPath)) return local.advanceTarget(input);
      const mirror = await ensureMirror(home, input.repoPath);
      try {
        const r = await advanceRemoteTarget(home, input.repoPath, input);
        if (r.landed) await faults.point('after_merge', { home, laneId: input.laneId, repoPath: mirror });
        return r;
      } finally {
        releaseLandingSlot(landingSlotKey(mirror, input.target), input.laneId);
      }
    }),

    removeCandidate: boundary('removeCandidate', async (input: In<'removeCandidate'>) => {
      if (!isRemoteUrl(input.repoPath)) return local.removeCandidate(input);
      releaseLandingSlotsOf(input.laneId);
      return local.removeCandidate({ ...input, repoPath: await ensureMirror(home, input.repoPath) });
    }),

    closeout: boundary('closeout', async (input: In<'closeout'>) => {
      if (!isRemoteUrl(input.repoPath)) return local.closeout(input);
      releaseLandingSlotsOf(input.laneId);
      // The remote target decides whether the lane branch is landed (and may be deleted here).
      const mirror = await freshMirror(home, input.repoPath, { branches: [input.target] });
      return local.closeout({ ...input, repoPath: mirror });
    }),

    isLanded: boundary('isLanded', async (input: In<'isLanded'>) => {
      if (!isRemoteUrl(input.repoPath)) return local.isLanded(input);
      const mirror = await freshMirror(home, input.repoPath, { branches: [input.target], ...(input.branch ? { laneBranch: input.branch } : {}) });
      return local.isLanded({ ...input, repoPath: mirror });
    }),

    landedCommits: boundary('landedCommits', async (input: In<'landedCommits'>) => {
      if (!isRemoteUrl(input.repoPath)) return local.landedCommits(input);
      return local.landedCommits({ ...input, repoPath: await freshMirror(home, input.repoPath, { branches: [] }) });
    }),

    laneCommits: boundary('laneCommits', async (input: In<'laneCommits'>) => {
      if (!isRemoteUrl(input.repoPath)) return local.laneCommits(input);
      const mirror = await freshMirror(home, input.repoPath, { branches: [input.base], laneBranch: input.branch });
      return local.laneCommits({ ...input, repoPath: mirror });
    }),
  };
}
