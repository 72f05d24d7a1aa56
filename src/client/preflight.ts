// `lanes submit` preflight: everything knowable before a workflow starts — payload size,
// the repository, its branches, trust — refused with exit 2, the cause and a fix. The
// lane runs the repository part again on its host (activity preflightLane).
import type { LanesConfig } from '../config.js';
import { LanesError } from '../errors.js';
import { isUnderRoots } from '../activities/host.js';
import { type PreflightProblem, preflightRepo } from '../git/preflight.js';
import { listRemoteBranches } from '../git/remote.js';
import { redactUrls } from '../shared/repo-url.js';
import { assertPayloadSize } from '../packet/payload-limit.js';
import type { LanePacket } from './lanes.js';

export interface PreflightReport {
  payloadBytes: number;
  /** Whether this machine's trusted roots hold the repository; a lane outside waits for `lanes trust`. */
  trusted: boolean;
  trustedRoots: string[];
}

export async function preflightSubmit(packet: LanePacket, config: LanesConfig, source: string): Promise<PreflightReport> {
  const payloadBytes = assertPayloadSize(packet, source);
  // The worker's roots always include its $LANES_HOME (see worker.ts).
  const trustedRoots = [config.home, ...config.trustedRoots];
  if (packet.repo.url !== undefined) {
    refuse(await preflightRemote(packet, packet.repo.url), source);
    return { payloadBytes, trusted: isUnderRoots(packet.repo.url, trustedRoots), trustedRoots };
  }
  const repoPath = packet.repo.path!;
  const problems = await preflightRepo({
    laneId: packet.id,
    repoPath,
    baseBranch: packet.repo.baseBranch,
    target: packet.merge.target ?? packet.repo.baseBranch,
    branch: packet.branch.name ?? `lanes/${packet.id}`,
  });
  refuse(problems, source);
  return { payloadBytes, trusted: isUnderRoots(repoPath, trustedRoots), trustedRoots };
}

function refuse(problems: PreflightProblem[], source: string): void {
  if (problems.length === 0) return;
  throw new LanesError(
    'validation',
    problems.map((p) => `${source}: ${p.field}: ${p.message}`).join('\n'),
    problems.map((p) => p.hint).join('\n'),
    problems[0]!.failureClass,
  );
}

/**
 * A remote seen from the client (`git ls-remote`, with this machine's credentials): reachable,
 * base and target exist. The lane's host checks again against its own mirror.
 */
async function preflightRemote(packet: LanePacket, url: string): Promise<PreflightProblem[]> {
  const shown = redactUrls(url);
  let heads: Map<string, string>;
  try {
    heads = await listRemoteBranches(url);
  } catch (err) {
    const reason = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    return [{ field: 'repo.url', failureClass: 'validator', message: `cannot list the branches of ${shown}: ${reason}`, hint: 'check the URL and that this machine reaches it with its git credentials (credential helper, ssh agent): git ls-remote <url>' }];
  }
  const target = packet.merge.target ?? packet.repo.baseBranch;
  const branch = packet.branch.name ?? `lanes/${packet.id}`;
  const problems: PreflightProblem[] = [];
  const list = `see \`git ls-remote --heads ${shown}\``;
  if (!heads.has(packet.repo.baseBranch)) problems.push({ field: 'repo.baseBranch', failureClass: 'validator', message: `base branch "${packet.repo.baseBranch}" does not exist on ${shown}`, hint: `set repo.baseBranch to a branch of the remote (${list})` });
  if (target !== packet.repo.baseBranch && !heads.has(target)) problems.push({ field: 'merge.target', failureClass: 'validator', message: `merge target "${target}" does not exist on ${shown}`, hint: `set merge.target to a branch of the remote, or push it first (${list})` });
  if (branch === target || branch === packet.repo.baseBranch) {
    problems.push({ field: 'branch.name', failureClass: 'validator', message: `branch.name "${branch}" is the lane's ${branch === target ? 'merge target' : 'base branch'}`, hint: 'a lane works on a branch of its own: set branch.name to a new name (or leave it out for lanes/<id>)' });
  }
  return problems;
}
