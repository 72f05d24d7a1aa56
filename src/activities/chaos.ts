// Chaos runs' host work: fixture repos and per-lane fault plans before the lanes,
// invariant checks after. Faults only fire on workers started with --allow-chaos.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { type ChaosAgent, type ChaosFault, chaosAgentOf, chaosFaultPlan } from '../chaos/plan.js';
import { agentPassFacts } from './agent-pass.js';
import { type ChaosInvariant, checkChaosLane } from '../faults/invariants.js';
import { gitFacts } from '../drill/observe.js';
import { packetFingerprint } from '../packet/fingerprint.js';
import { type TaskPacket, type TaskPacketInput, TaskPacketSchema } from '../packet/schema.js';
import { withLaneTrailers } from '../git/trailers.js';
import { createFixtureRepo, GIT_IDENTITY_ENV } from '../demo/fixture-repo.js';
import { demoPacket } from '../demo/scenario.js';
import type { FaultSpec } from '../faults/plan.js';
import { chaosPlanPath } from '../faults/inject.js';
import { laneFailure } from '../failures.js';
import { type ArtifactStore, assertSafeSegment } from './artifacts.js';
import { writeFileAtomic } from '../atomic-file.js';

export interface ChaosLane {
  laneId: string;
  repoPath: string;
  baseHead: string;
  packet: TaskPacket & { id: string };
  fingerprint: string;
  fault: FaultSpec;
  agent: ChaosAgent;
}

/** Agent settings of a chaos lane per kind; the worker's provider endpoints serve them. */
const CHAOS_AGENT_SETTINGS: Record<Exclude<ChaosAgent, 'builtin'>, Record<string, unknown>> = {
  claude_code: { kind: 'claude_code', model: 'claude-sonnet-4-5', maxTurns: 8, permissionMode: 'workspace_write' },
  codex: { kind: 'codex', model: 'gpt-5.1-codex', permissionMode: 'workspace_write' },
};
/** The mock model's scenario per kind (src/fixtures/agent-scripts.ts), for offline runs. */
const MOCK_SCENARIOS: Record<Exclude<ChaosAgent, 'builtin'>, string> = { claude_code: 'claude-fix', codex: 'codex-fix' };

/** The chaos lane's packet: the calculator fix, by the scripted builtin agent or an external one. */
function chaosPacket(laneId: string, repoPath: string, agent: ChaosAgent, mockModel: boolean): TaskPacketInput {
  const base = demoPacket({ id: laneId, repoPath, provider: 'scripted' });
  if (agent === 'builtin') return base;
  return { ...base, objective: `${base.objective}${mockModel ? ` [[mock:${MOCK_SCENARIOS[agent]}]]` : ''}`, agent: CHAOS_AGENT_SETTINGS[agent] as TaskPacketInput['agent'] };
}

export function createChaosActivities(deps: { home: string; store: ArtifactStore; allowChaos: boolean }) {
  const chaosDir = (chaosId: string) => join(deps.home, 'chaos', chaosId);
  return {
    /**
     * Makes one calculator fixture repo and one seeded fault plan per chaos lane.
     * Failure semantics: keyed by chaosId; a retry reuses repos that already exist.
     */
    async prepareChaosBatch(input: { chaosId: string; seed: number; lanes: number; faults: ChaosFault[]; agents?: ChaosAgent[]; mockModel?: boolean }): Promise<{ lanes: ChaosLane[]; armed: boolean }> {
      assertSafeSegment('chaos id', input.chaosId);
      const laneIds = Array.from({ length: input.lanes }, (_, i) => `${input.chaosId}-l${i}`);
      const agents = input.agents ?? ['builtin'];
      const plan = chaosFaultPlan(input.seed, laneIds, input.faults, agents);
      const lanes: ChaosLane[] = [];
      for (const [i, laneId] of laneIds.entries()) {
        const repoPath = join(chaosDir(input.chaosId), `repo-${i}`);
        let baseHead: string;
        try {
          baseHead = (await execa('git', ['rev-parse', 'main'], { cwd: repoPath })).stdout.trim();
        } catch {
          baseHead = await (await createFixtureRepo(repoPath)).head();
        }
        const agent = chaosAgentOf(i, agents);
        const packet = { ...TaskPacketSchema.parse(chaosPacket(laneId, repoPath, agent, input.mockModel ?? false)), id: laneId };
        const fault = plan[laneId]!;
        writeFileAtomic(chaosPlanPath(deps.home, laneId), JSON.stringify([fault], null, 2));
        lanes.push({ laneId, repoPath, baseHead, packet, fingerprint: packetFingerprint(packet), fault, agent });
      }
      return { lanes, armed: deps.allowChaos };
    },

    /**
     * Gathers each lane's facts (git, events, worktrees) and checks the invariants.
     * Failure semantics: read-only; a retry checks again.
     */
    async checkChaosLanes(input: { lanes: { laneId: string; repoPath: string; baseHead: string; state: string | null }[] }): Promise<ChaosInvariant[]> {
      const out: ChaosInvariant[] = [];
      for (const lane of input.lanes) {
        const facts = await gitFacts(lane.repoPath, deps.home, lane.baseHead, 'main');
        const events = deps.store.readEvents(lane.laneId);
        out.push(
          ...checkChaosLane({
            laneId: lane.laneId,
            state: lane.state,
            wasBlocked: events.some((e) => (e as { type?: string }).type === 'lane.blocked'),
            targetCommits: facts.targetCommits,
            events,
            leftoverWorktrees: facts.leftoverWorktrees.filter((w) => w.includes(lane.laneId)),
            agentPasses: agentPassFacts(deps.store, lane.laneId),
          }),
        );
      }
      return out;
    },

    /** Writes the chaos report next to its repos. Failure semantics: atomic replace; retry-safe. */
    async writeChaosReport(input: { chaosId: string; report: unknown }): Promise<{ path: string }> {
      const path = join(chaosDir(input.chaosId), 'report.json');
      mkdirSync(chaosDir(input.chaosId), { recursive: true });
      writeFileSync(path, JSON.stringify(input.report, null, 2) + '\n');
      return { path };
    },

    /**
     * Test-only: plants a real violation (a second land commit for a lane on main) so a
     * test can see the chaos checks report it. Refused unless the worker runs --allow-chaos.
     * Failure semantics: not idempotent on purpose — it is the violation.
     */
    async plantChaosViolation(input: { laneId: string; repoPath: string }): Promise<{ sha: string }> {
      if (!deps.allowChaos) throw laneFailure('validator', 'plantChaosViolation runs only on workers started with --allow-chaos', { hint: 'Start the worker with `lanes worker --allow-chaos`.' });
      const msg = withLaneTrailers(`Merge again (planted chaos violation)`, input.laneId, 'land');
      await execa('git', ['commit', '--allow-empty', '-q', '-m', msg], { cwd: input.repoPath, env: GIT_IDENTITY_ENV });
      return { sha: (await execa('git', ['rev-parse', 'HEAD'], { cwd: input.repoPath })).stdout.trim() };
    },
  };
}
