// `lanes submit` preflight: everything knowable before a workflow starts — payload size,
// the repository, its branches, trust — refused with exit 2, the cause and a fix. The
// lane runs the repository part again on its host (activity preflightLane).
import type { LanesConfig } from '../config.js';
import { LanesError } from '../errors.js';
import { isUnderRoots } from '../activities/host.js';
import { preflightRepo } from '../git/preflight.js';
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
  const repoPath = packet.repo.path!;
  const problems = await preflightRepo({
    laneId: packet.id,
    repoPath,
    baseBranch: packet.repo.baseBranch,
    target: packet.merge.target ?? packet.repo.baseBranch,
    branch: packet.branch.name ?? `lanes/${packet.id}`,
  });
  if (problems.length > 0) {
    throw new LanesError(
      'validation',
      problems.map((p) => `${source}: ${p.field}: ${p.message}`).join('\n'),
      problems.map((p) => p.hint).join('\n'),
      problems[0]!.failureClass,
    );
  }
  // The worker's roots always include its $LANES_HOME (see worker.ts).
  const trustedRoots = [config.home, ...config.trustedRoots];
  return { payloadBytes, trusted: isUnderRoots(repoPath, trustedRoots), trustedRoots };
}
