import { describe, expect, it } from 'vitest';
import { jsonErrorOffset } from '../../../src/packet/json-syntax.js';

function v8Offset(text: string): number | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (err) {
    const m = /at position (\d+)/.exec((err as Error).message);
    return m ? Number(m[1]) : -1;
  }
}

describe('packet/json-syntax', () => {
  it.each([
    '{}',
    '[]',
    ' {"a": [1, -2.5e+3, 0, true, false, null, "x\\n\\u00e9"]} ',
    '"just a string"',
    '{"nested": {"deep": [[{}]]}}',
  ])('finds no error in valid JSON %j', (text) => {
    expect(v8Offset(text)).toBeUndefined();
    expect(jsonErrorOffset(text)).toBeUndefined();
  });

  // Where V8 names a position, ours must be the same one.
  it.each([
    ['{"a":1,}', 7],
    ['{"a": "x', 8],
    ['[1 2]', 3],
    ['{"a":01}', 6],
    ['{a: 1}', 1],
    ['{"a" 1}', 5],
    ['"tab\there"', 4],
    ['{"a":"\\q"}', 7],
  ])('locates the first bad character of %j at offset %i', (text, offset) => {
    expect(v8Offset(text)).toBe(offset);
    expect(jsonErrorOffset(text)).toBe(offset);
  });

  it.each([
    ['{\n  "repo": oops\n}', 12],
    ['{"a": 1} trailing', 9],
    ['', 0],
    ['nul', 3],
    ['[1,]', 3],
  ])('locates errors V8 reports without a position in %j at offset %i', (text, offset) => {
    expect(() => JSON.parse(text)).toThrow();
    expect(jsonErrorOffset(text)).toBe(offset);
  });
});
