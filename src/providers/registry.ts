// Which provider to build, how big each model's context window is, and what a
// turn costs. Model names are matched by longest prefix, so dated or tagged
// names ("claude-sonnet-4-5-20250929", "llama3.1:70b") find their family.
import { LanesError } from '../errors.js';
import { type AnthropicProviderOptions, createAnthropicProvider } from './anthropic.js';
import { type OpenAIProviderOptions, createOpenAIProvider } from './openai.js';
import { type ScriptedTurn, createScriptedProvider } from './scripted.js';
import { type ModelProvider, PROVIDER_NAMES, type ProviderName, type Usage } from './types.js';

export type ProviderOptions = AnthropicProviderOptions & OpenAIProviderOptions & { script?: readonly ScriptedTurn[] };

export function isProviderName(value: unknown): value is ProviderName {
  return typeof value === 'string' && (PROVIDER_NAMES as readonly string[]).includes(value);
}

export function createProvider(name: ProviderName, opts: ProviderOptions = {}): ModelProvider {
  switch (name) {
    case 'anthropic':
      return createAnthropicProvider(opts);
    case 'openai':
      return createOpenAIProvider(opts);
    case 'scripted':
      return createScriptedProvider(opts.script ?? []);
    default: {
      const unknown: never = name;
      throw new LanesError('usage', `unknown model provider '${String(unknown)}'`, `Use one of: ${PROVIDER_NAMES.join(', ')}.`);
    }
  }
}

/** Context window in tokens by model-name prefix. */
export const MODEL_CONTEXT_WINDOWS: Record<string, number> = {
  'claude-': 200_000,
  'gpt-4o': 128_000,
  'gpt-4-turbo': 128_000,
  'gpt-4': 8_192,
  'gpt-4.1': 1_047_576,
  'gpt-5': 400_000,
  'gpt-3.5-turbo': 16_385,
  o1: 200_000,
  o3: 200_000,
  'o4-mini': 200_000,
  llama3: 8_192,
  'llama3.1': 131_072,
  'llama3.2': 131_072,
  'llama3.3': 131_072,
  'qwen2.5-coder': 32_768,
  'qwen3': 40_960,
  mistral: 32_768,
  'deepseek-coder': 16_384,
  codellama: 16_384,
  scripted: 200_000,
};

/** For models not in the table: small enough that preflight errs towards compaction. */
export const DEFAULT_CONTEXT_WINDOW_TOKENS = 32_768;

/** USD per million tokens by model-name prefix. Local models are absent: they cost 0. */
export const MODEL_PRICES_PER_MTOK: Record<string, { input: number; output: number }> = {
  'claude-opus-4': { input: 15, output: 75 },
  'claude-opus-4-5': { input: 5, output: 25 },
  'claude-sonnet-4': { input: 3, output: 15 },
  'claude-3-7-sonnet': { input: 3, output: 15 },
  'claude-3-5-sonnet': { input: 3, output: 15 },
  'claude-haiku-4': { input: 1, output: 5 },
  'claude-3-5-haiku': { input: 0.8, output: 4 },
  'claude-3-haiku': { input: 0.25, output: 1.25 },
  'gpt-4o': { input: 2.5, output: 10 },
  'gpt-4o-mini': { input: 0.15, output: 0.6 },
  'gpt-4.1': { input: 2, output: 8 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4 },
  'gpt-5': { input: 1.25, output: 10 },
  'gpt-5-mini': { input: 0.25, output: 2 },
  'gpt-5-nano': { input: 0.05, output: 0.4 },
  o3: { input: 2, output: 8 },
  'o4-mini': { input: 1.1, output: 4.4 },
};

/** The value of the longest key that prefixes `model` (after any "vendor/" routing prefix). */
function byLongestPrefix<T>(table: Record<string, T>, model: string): T | undefined {
  const name = model.slice(model.lastIndexOf('/') + 1).toLowerCase();
  let best: string | undefined;
  for (const key of Object.keys(table)) {
    if (name.startsWith(key) && (best === undefined || key.length > best.length)) best = key;
  }
  return best === undefined ? undefined : table[best];
}

/**
 * Context window of `model`. `overrides` (config `contextWindows`, LANES_CONTEXT_WINDOWS)
 * join the built-in table: the longest matching prefix wins; an equal prefix replaces the built-in.
 */
export function contextWindowFor(model: string, overrides: Readonly<Record<string, number>> = {}): number {
  const table = { ...MODEL_CONTEXT_WINDOWS };
  for (const [prefix, tokens] of Object.entries(overrides)) table[prefix.toLowerCase()] = tokens;
  return byLongestPrefix(table, model) ?? DEFAULT_CONTEXT_WINDOW_TOKENS;
}

/** Estimated USD for one turn; 0 for the scripted provider and for unpriced (local) models. */
export function estimateCostUsd(model: string, usage: Usage, provider?: ProviderName): number {
  if (provider === 'scripted') return 0;
  const price = byLongestPrefix(MODEL_PRICES_PER_MTOK, model);
  if (!price) return 0;
  return (usage.inputTokens * price.input + usage.outputTokens * price.output) / 1_000_000;
}

export const PROVIDER_CREDENTIAL_VARS = ['ANTHROPIC_API_KEY', 'ANTHROPIC_BASE_URL', 'OPENAI_API_KEY', 'OPENAI_BASE_URL'] as const;

/** Which provider variables the worker's environment sets: names and presence only, never values. */
export function providerCredentialVars(env: NodeJS.ProcessEnv = process.env): { name: string; present: boolean }[] {
  return PROVIDER_CREDENTIAL_VARS.map((name) => ({ name, present: Boolean(env[name]) }));
}
