// The output layer in JSON mode is JSON Lines: a result, stream lines and an error printed
// by one command are each exactly one line, so scripts parse stdout line by line.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LanesError } from '../../src/errors.js';
import { createOutput } from '../../src/client/output.js';
import { parseJsonLines } from '../support/cli.js';

let out: string[];
let err: string[];

beforeEach(() => {
  out = [];
  err = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
});

afterEach(() => vi.restoreAllMocks());

describe('client/output JSON mode', () => {
  it('an announcement, a multi-line report and an error come out as three JSON lines', () => {
    const o = createOutput('json');
    o.line({ event: 'blocked', laneId: 'l1', next: 'lanes resolve l1 --approve' }, () => 'unused');
    o.info('waiting...');
    const report = { laneId: 'l1', detail: 'line one\nline two', nested: { list: [1, 2, { deep: 'x' }] } };
    o.result(report, () => 'unused');
    o.error(new LanesError('runtime', 'it broke\nbadly', 'do this'));
    const text = out.join('');
    const docs = parseJsonLines(text);
    expect(docs).toHaveLength(3);
    expect(docs[0]).toMatchObject({ event: 'blocked', laneId: 'l1' });
    expect(docs[1]).toEqual(report);
    expect(docs[2].error).toMatchObject({ code: 'runtime', message: 'it broke\nbadly', hint: 'do this' });
    // Must not: an indented (multi-line) document, or progress text on stdout or stderr in JSON mode.
    expect(text.split('\n')).toHaveLength(4);
    expect(text).not.toContain('  "');
    expect(text).not.toContain('waiting...');
    expect(err).toEqual([]);
  });

  it('text mode renders for people and keeps progress on stderr', () => {
    const o = createOutput('text');
    o.result({ n: 1 }, (v) => `n is ${v.n}`);
    o.info('progress');
    expect(out.join('')).toBe('n is 1\n');
    expect(err.join('')).toBe('progress\n');
  });

  it('the strict line parser names a line that is not one JSON document', () => {
    expect(() => parseJsonLines('{"a":1}\n{\n  "b": 2\n}\n')).toThrow(/stdout line 2 is not one JSON document/);
    expect(parseJsonLines('')).toEqual([]);
  });
});
