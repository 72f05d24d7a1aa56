// The sandbox-cost section's process count, read from an `strace -f -e trace=execve` log.
import { describe, expect, it } from 'vitest';
import { countExecs } from '../../../src/bench/sandbox-cost.js';

describe('bench sandbox cost', () => {
  it('counts successful execve calls by program, not the PATH lookups that failed', () => {
    const log = [
      '100 execve("/usr/bin/unshare", ["unshare", "--mount"], 0x7ffd /* 9 vars */) = 0',
      '101 execve("/usr/local/sbin/mount", ["mount", "-n", "-a"], 0x55 /* 9 vars */) = -1 ENOENT (No such file or directory)',
      '101 execve("/usr/bin/mount", ["mount", "-n", "-a"], 0x55 /* 9 vars */) = 0',
      '102 execve("/usr/bin/mount", ["mount", "-n", "-c"], 0x55 /* 9 vars */) = 0',
      '101 +++ exited with 0 +++',
    ].join('\n');
    expect(countExecs(log)).toEqual({ total: 3, byProgram: { unshare: 1, mount: 2 } });
    expect(countExecs('')).toEqual({ total: 0, byProgram: {} });
  });
});
