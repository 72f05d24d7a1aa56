// Wires the real adapters into the activity factories the worker registers.
import { createAgentPassActivities } from '../activities/agent-pass.js';
import { createChaosActivities } from '../activities/chaos.js';
import { createArtifactActivities, createArtifactStore } from '../activities/artifacts.js';
import { createGitActivities } from '../activities/git.js';
import { withRemoteRepos } from '../activities/git-remote.js';
import { createHostActivities } from '../activities/host.js';
import { createLaneOpenActivities } from '../activities/lane-open.js';
import { createMcpActivities } from '../activities/mcp.js';
import { type AgentConfig, createModelActivities, type ModelTurnInput } from '../activities/model.js';
import { createWebhookActivities } from '../activities/report-webhook.js';
import { createRunActivities } from '../activities/runs.js';
import { createTestActivities } from '../activities/tests.js';
import { createToolCallActivities } from '../activities/tool-calls.js';
import { createToolActivities, toolsFor } from '../activities/tools.js';
import { createWorkerInfoActivities } from '../activities/worker-info.js';
import { type FaultInjector, NO_FAULTS } from '../faults/index.js';
import { contextWindowOverrides, sandboxAllowsHostNetwork } from '../config.js';
import { McpRegistry } from '../mcp/registry.js';
import { contextWindowFor } from '../providers/registry.js';
import type { ModelProvider } from '../providers/types.js';

export interface ActivityDeps {
  /** Registers the chaos activity that writes per-lane fault plans (--allow-chaos). */
  allowChaos?: boolean;
  /** Kill points for drills and chaos, handed to every activity factory that has one (default NO_FAULTS). */
  faults?: FaultInjector;
  home: string;
  /** This host's queue for host-bound activities (see src/activities/host.ts). */
  hostQueue: string;
  hostId: string;
  trustedRoots: readonly string[];
  /** One per worker process: MCP server processes live with the worker. */
  mcpRegistry: McpRegistry;
  /** Tests point providers at the mock model server; default: from the environment. */
  provider?: (agent: AgentConfig) => ModelProvider;
  /** Model-name prefix -> context window tokens; default: $home/config.json + LANES_CONTEXT_WINDOWS. */
  contextWindows?: Record<string, number>;
  /** Packets may ask for `sandbox.network: host`; default: $home/config.json + LANES_SANDBOX_ALLOW_HOST_NETWORK. */
  allowHostNetwork?: boolean;
}

export function createActivities(deps: ActivityDeps) {
  const store = createArtifactStore({ home: deps.home });
  const faults = deps.faults ?? NO_FAULTS;
  const allowHostNetwork = deps.allowHostNetwork ?? sandboxAllowsHostNetwork(deps.home);
  const tools = createToolActivities({ home: deps.home, artifacts: store, allowHostNetwork, faults });
  const mcp = createMcpActivities({ home: deps.home, registry: deps.mcpRegistry, faults });
  // Read once at worker start: a malformed override fails the worker, not a lane.
  const contextWindows = deps.contextWindows ?? contextWindowOverrides(deps.home);
  const model = createModelActivities({
    store,
    provider: deps.provider,
    faults,
    contextWindow: (model) => contextWindowFor(model, contextWindows),
    async toolSpecs(input: ModelTurnInput & { mcpServers?: Record<string, unknown> }) {
      const builtin = toolsFor(input.agent.permissionMode, input.agent.tools);
      const servers = input.mcpServers ?? {};
      if (Object.keys(servers).length === 0) return builtin;
      const mcpTools = await mcp.listMcpTools({ laneId: input.laneId, servers, cwd: input.worktreePath });
      const allowed = input.agent.tools;
      return [...builtin, ...mcpTools.filter((t) => !allowed || allowed.includes(t.name))];
    },
  });
  const host = createHostActivities({ hostQueue: deps.hostQueue, hostId: deps.hostId, trustedRoots: deps.trustedRoots });
  const git = withRemoteRepos(deps.home, createGitActivities({ home: deps.home, faults }), faults);
  return {
    ...createWorkerInfoActivities(),
    ...host,
    ...git,
    ...createLaneOpenActivities({ checkTrust: host.checkTrust, preflightLane: git.preflightLane, prepareWorktree: git.prepareWorktree }),
    ...createTestActivities({ home: deps.home, artifacts: store, allowHostNetwork, faults }),
    ...createArtifactActivities({ home: deps.home }),
    ...tools,
    ...model,
    ...createAgentPassActivities({ store, allowHostNetwork, faults }),
    ...createToolCallActivities({ store, tools, mcp, faults }),
    ...createChaosActivities({ home: deps.home, store, allowChaos: deps.allowChaos ?? false }),
    ...createWebhookActivities(),
    ...createRunActivities({ home: deps.home }),
    startMcp: mcp.startMcp,
    stopMcp: mcp.stopMcp,
    callMcpTool: mcp.callMcpTool,
  };
}

export type LanesActivities = ReturnType<typeof createActivities>;
