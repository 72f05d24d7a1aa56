import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { contextWindowOverrides, loadConfig, parseContextWindowsEnv } from '../../src/config.js';
import { LanesError } from '../../src/errors.js';
import { contextWindowFor, DEFAULT_CONTEXT_WINDOW_TOKENS } from '../../src/providers/registry.js';

const homes: string[] = [];
function home(config?: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'lanes-config-'));
  homes.push(dir);
  if (config !== undefined) writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}
afterEach(() => {
  for (const d of homes.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('config: context-window overrides', () => {
  it.each<[string, string, Record<string, number>, number]>([
    ['a model in the built-in table, no overrides', 'claude-sonnet-4-5', {}, 200_000],
    ['an unknown model, no overrides', 'my-local-model', {}, DEFAULT_CONTEXT_WINDOW_TOKENS],
    ['an unknown model with an override', 'my-local-model:7b', { 'my-local': 65_536 }, 65_536],
    ['an equal prefix replacing the built-in', 'llama3.1:70b', { 'llama3.1': 32_768 }, 32_768],
    ['a longer built-in prefix still winning over a shorter override', 'gpt-4o-mini', { 'gpt-4': 32_000 }, 128_000],
    ['a longer override winning over a shorter built-in', 'claude-haiku-4-5', { 'claude-haiku': 100_000 }, 100_000],
    ['an override key in another case', 'qwen3-coder', { 'QWEN3-CODER': 262_144 }, 262_144],
    ['a vendor-routed model name', 'openrouter/my-local-model', { 'my-local': 65_536 }, 65_536],
  ])('contextWindowFor: %s', (_label, model, overrides, expected) => {
    expect(contextWindowFor(model, overrides)).toBe(expected);
  });

  it('never lets an override leak into the built-in table for later lookups', () => {
    expect(contextWindowFor('llama3.1:8b', { 'llama3.1': 4096 })).toBe(4096);
    expect(contextWindowFor('llama3.1:8b')).toBe(131_072);
  });

  it.each([
    ['unset', undefined, {}],
    ['empty', '  ', {}],
    ['an object', '{"llama3.1":32768,"my-model":8192}', { 'llama3.1': 32_768, 'my-model': 8192 }],
  ])('parseContextWindowsEnv reads LANES_CONTEXT_WINDOWS when %s', (_label, raw, expected) => {
    expect(parseContextWindowsEnv(raw)).toEqual(expected);
  });

  it.each([
    ['invalid JSON', '{llama: 1}', /not valid JSON/],
    ['an array', '[1,2]', /LANES_CONTEXT_WINDOWS/],
    ['a non-integer size', '{"m": 1.5}', /LANES_CONTEXT_WINDOWS\.m/],
    ['a zero size', '{"m": 0}', /LANES_CONTEXT_WINDOWS\.m/],
    ['a string size', '{"m": "128k"}', /LANES_CONTEXT_WINDOWS\.m/],
  ])('parseContextWindowsEnv refuses %s with a validation error and a hint', (_label, raw, message) => {
    let caught: unknown;
    try {
      parseContextWindowsEnv(raw);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(LanesError);
    expect((caught as LanesError).code).toBe('validation');
    expect((caught as LanesError).message).toMatch(message);
    expect((caught as LanesError).hint).toMatch(/JSON object/);
  });

  it('merges config-file entries with LANES_CONTEXT_WINDOWS on top', () => {
    const dir = home({ contextWindows: { 'my-model': 8192, 'other-model': 4096 } });
    const env = { LANES_HOME: dir, LANES_CONTEXT_WINDOWS: '{"my-model":16384}' };
    expect(contextWindowOverrides(dir, env)).toEqual({ 'my-model': 16_384, 'other-model': 4096 });
    expect(loadConfig({}, env).contextWindows).toEqual({ 'my-model': 16_384, 'other-model': 4096 });
    expect(loadConfig({}, { LANES_HOME: home() }).contextWindows).toEqual({});
  });

  it('rejects a config file whose contextWindows are not positive integers, naming the key', () => {
    const dir = home({ contextWindows: { 'my-model': -1 } });
    expect(() => loadConfig({}, { LANES_HOME: dir })).toThrow(/contextWindows\.my-model/);
    expect(() => contextWindowOverrides(dir, {})).toThrow(LanesError);
  });
});
