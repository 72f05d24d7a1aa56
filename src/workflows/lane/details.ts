// The Details the Temporal Web UI shows for a lane (its static details), for lanes
// submitted by the CLI and lanes a run starts as children alike. Pure: runs in workflows.
import type { TaskPacket } from '../../packet/schema.js';
import { boardLaneUrl } from '../../shared/board-links.js';
import { markdownText } from '../summary.js';

/**
 * Markdown with hard line breaks (a plain newline renders as a space), each fact once,
 * and the link to the lane's board page.
 */
export function laneStaticDetails(packet: TaskPacket & { id: string }, boardUrl?: string): string {
  const a = packet.agent;
  const provider = a.provider === 'scripted' ? `scripted (offline${a.model && a.model !== 'scripted' ? `, ${a.model}` : ''})` : `${a.provider} ${a.model}`;
  const target = packet.merge.target ?? packet.repo.baseBranch;
  // Three lines at most: the Web UI's frame does not grow with the paragraph's margins.
  const lines = [
    `repo ${markdownText(packet.repo.path ?? packet.repo.url ?? '', 300)}`,
    `branch ${markdownText(packet.branch.name ?? `lanes/${packet.id}`)} from ${markdownText(packet.repo.baseBranch)}${target !== packet.repo.baseBranch ? ` into ${markdownText(target)}` : ''} · provider ${markdownText(provider)}`,
  ];
  if (boardUrl) lines.push(`[lane page on the board](${boardLaneUrl(boardUrl, packet.id)})`);
  return lines.join('\\\n');
}
