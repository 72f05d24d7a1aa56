// The environment handed to child processes Lanes runs for the agent or for acceptance
// tests. Provider credentials belong to the worker (DESIGN §3 Models) and must not leak
// to code the agent writes or runs.

/** Always removed, whatever their name looks like. */
export const CREDENTIAL_VARIABLES = ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY', 'ANTHROPIC_AUTH_TOKEN'] as const;

/** Names shaped like secrets (…_API_KEY, …_TOKEN, …_SECRET, …_PASSWORD) are removed too. */
const SECRET_NAME = /(?:^|_)(?:API_KEY|TOKEN|SECRET|SECRET_KEY|PASSWORD)$/i;

export function isCredentialVariable(name: string): boolean {
  return (CREDENTIAL_VARIABLES as readonly string[]).includes(name.toUpperCase()) || SECRET_NAME.test(name);
}

/** A copy of `env` without credential variables, with `extra` applied on top. */
export function childEnv(env: NodeJS.ProcessEnv = process.env, extra: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v !== undefined && !isCredentialVariable(k)) out[k] = v;
  }
  return { ...out, ...extra };
}
