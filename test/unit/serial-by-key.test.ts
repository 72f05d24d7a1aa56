import { describe, expect, it } from 'vitest';
import { serialByKey } from '../../src/serial-by-key.js';

describe('serialByKey', () => {
  it('runs one key in call order, one at a time, past a failure; other keys do not wait', async () => {
    const queue = serialByKey();
    const log: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const first = queue('a', async () => {
      log.push('a1 start');
      await gate;
      log.push('a1 end');
      throw new Error('a1 failed');
    });
    const second = queue('a', async () => {
      log.push('a2');
      return 2;
    });
    const other = await queue('b', async () => {
      log.push('b1');
      return 'b';
    });
    expect(other).toBe('b');
    // Must not: start a2 before a1 settled.
    expect(log).toEqual(['a1 start', 'b1']);
    release();
    await expect(first).rejects.toThrow('a1 failed');
    expect(await second).toBe(2);
    expect(log).toEqual(['a1 start', 'b1', 'a1 end', 'a2']);
  });
});
