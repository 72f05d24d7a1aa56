import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CONTEXT_WINDOW_TOKENS,
  MODEL_CONTEXT_WINDOWS,
  MODEL_PRICES_PER_MTOK,
  contextWindowFor,
  createProvider,
  estimateCostUsd,
  isProviderName,
  providerCredentialVars,
} from '../../../src/providers/registry.js';
import { replyText } from '../../../src/providers/types.js';

describe('providers/registry', () => {
  it('builds each provider by name', () => {
    expect(createProvider('anthropic', { apiKey: 'k', env: {} }).name).toBe('anthropic');
    expect(createProvider('openai', { apiKey: 'k', env: {} }).name).toBe('openai');
    const scripted = createProvider('scripted', { script: [{ text: 'hi' }] });
    expect(scripted).toMatchObject({ name: 'scripted', scripted: true });
    expect(createProvider('anthropic', { env: {} }).scripted).toBe(false);
  });

  it('builds a scripted provider without a script that finishes at once', async () => {
    const reply = await createProvider('scripted').complete({ model: 'm', messages: [], tools: [], maxTokens: 1 });
    expect(replyText(reply.content)).toBe('script finished');
  });

  it('refuses unknown provider names', () => {
    expect(isProviderName('openai')).toBe(true);
    expect(isProviderName('gemini')).toBe(false);
    expect(() => createProvider('gemini' as never)).toThrow(/unknown model provider 'gemini'/);
  });

  it.each([
    ['claude-sonnet-4-5-20250929', 200_000],
    ['claude-3-5-haiku-latest', 200_000],
    ['gpt-4o-mini', 128_000],
    ['gpt-4.1', 1_047_576],
    ['gpt-4', 8_192],
    ['llama3:8b', 8_192],
    ['llama3.1:70b', 131_072],
    ['openrouter/openai/gpt-4o', 128_000],
    ['some-unknown-model', DEFAULT_CONTEXT_WINDOW_TOKENS],
  ])('knows the context window of %s', (model, tokens) => {
    expect(contextWindowFor(model)).toBe(tokens);
  });

  it('has a price for priced families and a positive window for every entry', () => {
    for (const v of Object.values(MODEL_CONTEXT_WINDOWS)) expect(v).toBeGreaterThan(0);
    expect(Object.keys(MODEL_PRICES_PER_MTOK)).toEqual(expect.arrayContaining(['claude-sonnet-4', 'gpt-4o', 'gpt-4.1']));
  });

  it('estimates cost in USD from usage and the model price', () => {
    const usage = { inputTokens: 1_000_000, outputTokens: 100_000 };
    expect(estimateCostUsd('claude-sonnet-4-5', usage)).toBeCloseTo(3 + 1.5, 6);
    // Longest prefix wins: gpt-4o-mini is not priced as gpt-4o.
    expect(estimateCostUsd('gpt-4o-mini', usage)).toBeCloseTo(0.15 + 0.06, 6);
    expect(estimateCostUsd('gpt-4o-2024-08-06', usage)).toBeCloseTo(2.5 + 1, 6);
  });

  it('charges nothing for scripted turns or unpriced local models', () => {
    const usage = { inputTokens: 5000, outputTokens: 5000 };
    expect(estimateCostUsd('llama3.1:8b', usage)).toBe(0);
    expect(estimateCostUsd('claude-sonnet-4-5', usage, 'scripted')).toBe(0);
    expect(estimateCostUsd('claude-sonnet-4-5', usage, 'anthropic')).toBeGreaterThan(0);
  });

  it('lists credential variables by name and presence, never their values', () => {
    const env = { ANTHROPIC_API_KEY: 'sk-ant-secret', OPENAI_BASE_URL: 'http://localhost:11434/v1' };
    const vars = providerCredentialVars(env);
    expect(vars).toEqual([
      { name: 'ANTHROPIC_API_KEY', present: true },
      { name: 'ANTHROPIC_BASE_URL', present: false },
      { name: 'OPENAI_API_KEY', present: false },
      { name: 'OPENAI_BASE_URL', present: true },
    ]);
    expect(JSON.stringify(vars)).not.toContain('sk-ant-secret');
    expect(JSON.stringify(vars)).not.toContain('11434');
  });
});
