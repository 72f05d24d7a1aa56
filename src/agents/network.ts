// Which network an external agent process gets inside the lane sandbox. The agent must reach
// its model endpoint and nothing else should be reachable, but a network namespace cannot
// single out one remote host. So:
// - the endpoint is on the worker's loopback (a local gateway or proxy, the test mock): a
//   private loopback with that one port relayed to the host (model-relay.ts); everything
//   else, the Temporal frontend included, is unreachable;
// - the endpoint is remote (the provider's API): the host network, only when the worker
//   allows host network for lane commands (config sandbox.allowHostNetwork) — the agent and
//   its own shell tool can then reach whatever the worker can; files stay confined;
// - no endpoint (a scripted command agent): the packet's own sandbox.network.
// docs/security.md weighs these.
import type { AgentSettings } from '../packet/schema.js';
import { loopbackEndpoint, type RelayTarget } from '../sandbox/index.js';
import type { SandboxNetwork } from '../sandbox/plan.js';

export type AgentNetwork = { network: SandboxNetwork; relay?: RelayTarget } | { refused: string; hint: string };

const DEFAULT_BASE_URL: Record<'anthropic' | 'openai', string> = { anthropic: 'https://api.anthropic.com', openai: 'https://api.openai.com/v1' };
const BASE_URL_VARIABLE: Record<'anthropic' | 'openai', string> = { anthropic: 'ANTHROPIC_BASE_URL', openai: 'OPENAI_BASE_URL' };

/** The provider whose endpoint the agent calls, or undefined when it calls none. */
function providerOf(agent: AgentSettings): 'anthropic' | 'openai' | undefined {
  if (agent.kind === 'claude_code') return 'anthropic';
  if (agent.kind === 'codex') return 'openai';
  return agent.provider === 'scripted' ? undefined : agent.provider;
}

export function agentNetwork(agent: AgentSettings, packetNetwork: SandboxNetwork, env: NodeJS.ProcessEnv, allowHostNetwork: boolean): AgentNetwork {
  // danger_full_access and an explicit host network: the sandbox plan decides (and checks the worker allows it).
  if (agent.permissionMode === 'danger_full_access' || packetNetwork === 'host') return { network: packetNetwork };
  const provider = providerOf(agent);
  if (!provider) return { network: packetNetwork };
  const variable = BASE_URL_VARIABLE[provider];
  const baseUrl = env[variable] || DEFAULT_BASE_URL[provider];
  const local = loopbackEndpoint(baseUrl);
  if (local) return { network: 'loopback', relay: local };
  if (allowHostNetwork) return { network: 'host' };
  return {
    refused: `${agent.kind} calls its model at ${new URL(baseUrl).origin}, which a lane sandbox without host network cannot reach`,
    hint: `Let this worker give lane commands the host network ("sandbox": {"allowHostNetwork": true} in $LANES_HOME/config.json, or LANES_SANDBOX_ALLOW_HOST_NETWORK=1), or point ${variable} at a gateway on the worker's loopback (then only that port is relayed into the sandbox). See docs/security.md.`,
  };
}
