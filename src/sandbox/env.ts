// The environment of a sandboxed command: the worker's, minus credentials (child-env.ts),
// minus everything that tells it how to reach or drive Lanes and Temporal (TEMPORAL_*,
// LANES_*, provider endpoints). Packet-declared secrets are the one way back in: the
// packet author asked for them, and their values are redacted wherever they are recorded.
import { childEnv } from '../shell/child-env.js';

const LANES_OWN = /^(?:TEMPORAL_|LANES_|ANTHROPIC_|OPENAI_)/i;

export function isLanesOwnVariable(name: string): boolean {
  return LANES_OWN.test(name);
}

export interface SandboxEnvOptions {
  /** Packet `secrets`: names whose worker values are passed through. */
  secrets?: readonly string[];
  extra?: Record<string, string>;
  env?: NodeJS.ProcessEnv;
}

export function sandboxEnv({ secrets = [], extra = {}, env = process.env }: SandboxEnvOptions = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(childEnv(env))) {
    if (!isLanesOwnVariable(k)) out[k] = v;
  }
  for (const name of secrets) {
    const v = env[name];
    if (v !== undefined) out[name] = v;
  }
  return { ...out, ...extra };
}
