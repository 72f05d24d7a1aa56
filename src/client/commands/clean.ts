// `lanes clean`: removes what ended lanes left behind (worktrees, candidate branches, lane
// branches, lane folders) and says what it kept and why.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Command } from 'commander';
import { type CleanItem, decideClean, inspectLane, removeLeftovers } from '../../git/leftovers.js';
import { action } from '../context.js';
import { workflowIdFor } from '../lanes.js';
import { runIdOf } from '../runs.js';
import { withClient } from '../temporal.js';

interface LaneRecord {
  repo: string;
  branch: string;
  target: string;
}

/** Lane ids with a folder or a worktree under home. */
function laneIds(home: string): string[] {
  const ids = new Set<string>();
  const lanes = join(home, 'lanes');
  if (existsSync(lanes)) for (const d of readdirSync(lanes)) ids.add(d);
  const wts = join(home, 'worktrees');
  if (existsSync(wts)) for (const d of readdirSync(wts)) if (!d.endsWith('.doctor')) ids.add(d.replace(/\.candidate$/, ''));
  return [...ids].sort();
}

function record(home: string, laneId: string): LaneRecord | null {
  const file = join(home, 'lanes', laneId, 'report.json');
  if (!existsSync(file)) return null;
  try {
    const r = JSON.parse(readFileSync(file, 'utf8')) as Partial<LaneRecord>;
    return typeof r.repo === 'string' && typeof r.branch === 'string' && typeof r.target === 'string' ? { repo: r.repo, branch: r.branch, target: r.target } : null;
  } catch {
    return null;
  }
}

export function registerCleanCommand(program: Command): void {
  program
    .command('clean')
    .description('Remove leftovers of ended lanes: worktrees, candidate branches, landed lane branches, lane folders. Never a worktree with uncommitted changes or a branch with unlanded commits without --force; says what it kept and why')
    .option('--run <id>', 'only the lanes of this run')
    .option('--force', 'also remove dirty worktrees and branches with unlanded commits (that work is lost)')
    .option('--dry-run', 'only report what would be removed and kept')
    .action(
      action(async ({ out, config }, opts: { run?: string; force?: boolean; dryRun?: boolean }) =>
        withClient(config, async (client) => {
          const force = opts.force === true;
          const prefix = opts.run ? `${runIdOf(opts.run)}.` : null;
          const removed: CleanItem[] = [];
          const kept: CleanItem[] = [];
          for (const laneId of laneIds(config.home)) {
            if (prefix && !laneId.startsWith(prefix)) continue;
            try {
              const status = (await client.workflow.getHandle(workflowIdFor(laneId)).describe()).status.name;
              if (status === 'RUNNING') {
                kept.push({ laneId, what: 'folder', name: join(config.home, 'lanes', laneId), reason: 'the lane is still running' });
                continue;
              }
            } catch (e) {
              if (!(e instanceof WorkflowNotFoundError)) throw e;
            }
            const rec = record(config.home, laneId);
            if (!rec) {
              kept.push({ laneId, what: 'folder', name: join(config.home, 'lanes', laneId), reason: 'no report.json, so its repository and branches are unknown; remove it by hand' });
              continue;
            }
            const folder = join(config.home, 'lanes', laneId);
            const leftovers = await inspectLane(config.home, { laneId, repoPath: rec.repo, branch: rec.branch, target: rec.target, folder });
            const decision = decideClean(leftovers, force);
            if (!opts.dryRun) await removeLeftovers(config.home, leftovers, decision.remove);
            removed.push(...decision.remove);
            kept.push(...decision.keep);
          }
          const result = { dryRun: opts.dryRun === true, force, removed, kept };
          out.result(result, (r: typeof result) =>
            [
              ...r.removed.map((i) => `${r.dryRun ? 'would remove' : 'removed'} ${i.what} ${i.name} (${i.reason})`),
              ...r.kept.map((i) => `kept ${i.what} ${i.name}: ${i.reason}`),
              r.removed.length + r.kept.length === 0 ? 'nothing to clean' : '',
            ]
              .filter(Boolean)
              .join('\n'),
          );
        }),
      ),
    );
}
