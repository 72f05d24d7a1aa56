// chaosWorkflow: a batch of lanes on fixture repos with seeded fault plans, then
// the durability invariants checked on each; the report is recorded as an
// artifact, the memo and the ChaosViolations search attribute.
import { executeChild, proxyActivities, upsertMemo, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { ChaosReport } from '../chaos/report.js';
import type { ChaosAgent, ChaosFault } from '../chaos/plan.js';
import { CHAOS_VIOLATIONS } from '../shared/search-attributes.js';
import type { LanesActivities } from '../worker/activities.js';
import { classifyFailure } from '../failures.js';
import { laneWorkflow } from './lane/workflow.js';

export interface ChaosInput {
  /** Default: derived from the workflow id, so each scheduled run differs but is reproducible. */
  seed?: number;
  lanes?: number;
  faults?: ChaosFault[];
  /** Agents of the lanes, in turn (default builtin only); claude_code / codex run the real CLIs against the worker's provider endpoints. */
  agents?: ChaosAgent[];
  /** Objectives of external-agent lanes carry the mock model's scenario marker (offline runs against the testkit mock). */
  mockModel?: boolean;
  /** Test-only: plant a real violation to prove the checks catch it. */
  plant?: 'double_land';
}


const acts = proxyActivities<LanesActivities>({ startToCloseTimeout: '5m', retry: { maximumAttempts: 3 } });

function seedFrom(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  return h;
}

export async function chaosWorkflow(input: ChaosInput = {}): Promise<ChaosReport> {
  const chaosId = workflowInfo().workflowId.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 80);
  const seed = input.seed ?? seedFrom(chaosId);
  const batch = await acts.prepareChaosBatch({
    chaosId,
    seed,
    lanes: input.lanes ?? 2,
    faults: input.faults ?? ['throw', 'delay'],
    ...(input.agents ? { agents: input.agents } : {}),
    ...(input.mockModel ? { mockModel: true } : {}),
  });
  const outcomes = await Promise.all(
    batch.lanes.map(async (lane) => {
      try {
        const report = await executeChild(laneWorkflow, {
          workflowId: `lane-${lane.laneId}`,
          args: [{ laneId: lane.laneId, packet: lane.packet, fingerprint: lane.fingerprint }],
          staticSummary: `chaos lane ${lane.laneId}: ${lane.fault.fault} at ${lane.fault.point}`,
        });
        return { state: report.state as string | null, failureClass: report.failureClass as string | null };
      } catch (err) {
        return { state: 'failed', failureClass: classifyFailure(err) as string | null };
      }
    }),
  );
  if (input.plant === 'double_land' && batch.lanes[0]) await acts.plantChaosViolation({ laneId: batch.lanes[0].laneId, repoPath: batch.lanes[0].repoPath });
  const invariants = await acts.checkChaosLanes({
    lanes: batch.lanes.map((l, i) => ({ laneId: l.laneId, repoPath: l.repoPath, baseHead: l.baseHead, state: outcomes[i]!.state })),
  });
  const violations = invariants.filter((i) => !i.passed).length;
  const lanes = batch.lanes.map((l, i) => ({ laneId: l.laneId, ...(l.agent ? { agent: l.agent } : {}), ...outcomes[i]!, fault: { point: l.fault.point, fault: l.fault.fault } }));
  upsertSearchAttributes([{ key: CHAOS_VIOLATIONS, value: violations }]);
  upsertMemo({ violations, seed, lanes: lanes.length, armed: batch.armed });
  const base = { schema: 'lanes.chaos/v1' as const, chaosId, seed, armed: batch.armed, lanes, invariants, violations };
  const { path } = await acts.writeChaosReport({ chaosId, report: base });
  return { ...base, reportFile: path };
}
