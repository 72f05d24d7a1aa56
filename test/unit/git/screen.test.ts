// The landing screen on real git repositories: each hazard an agent's bash can commit is
// found from git objects, with the packet's action; ordinary changes produce no finding.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ScreenSchema } from '../../../src/packet/schema.js';
import { screenDiff, symlinkLeaves } from '../../../src/git/screen.js';
import { describeScreenFindings } from '../../../src/workflows/containment.js';
import { createFixtureRepo, type FixtureRepo } from '../../../src/demo/fixture-repo.js';

let dir: string;
let repo: FixtureRepo;
const defaults = ScreenSchema.parse({});

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lanes-screen-'));
  repo = await createFixtureRepo(join(dir, 'repo'));
  await repo.git('checkout', '-q', '-b', 'lane');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function commitAll(): Promise<void> {
  await repo.git('add', '-A');
  await repo.git('commit', '-q', '-m', 'agent change');
}

describe('git/screen', () => {
  it('an ordinary change (edit, new file, .gitignore, in-repo symlink) has no finding', async () => {
    writeFileSync(join(repo.path, 'src/math.js'), 'export const x = 1;\n');
    writeFileSync(join(repo.path, 'NEW.md'), 'new\n');
    writeFileSync(join(repo.path, '.gitignore'), 'node_modules\n');
    symlinkSync('../README.md', join(repo.path, 'src', 'readme-link'));
    await commitAll();
    expect((await screenDiff(repo.path, 'main', defaults)).findings).toEqual([]);
  });

  it('finds symlinks out of the repo, a 6 MB file, a new executable, a submodule and .gitattributes with default actions', async () => {
    symlinkSync('/etc/passwd', join(repo.path, 'passwd'));
    symlinkSync('../../../.ssh', join(repo.path, 'src', 'ssh'));
    symlinkSync('.git/config', join(repo.path, 'gitcfg'));
    writeFileSync(join(repo.path, 'big.bin'), Buffer.alloc(6_000_000, 7));
    writeFileSync(join(repo.path, 'run.sh'), '#!/bin/sh\n');
    chmodSync(join(repo.path, 'run.sh'), 0o755);
    writeFileSync(join(repo.path, '.gitattributes'), '*.js filter=evil\n');
    writeFileSync(join(repo.path, '.gitmodules'), '[submodule "x"]\n\tpath = x\n\turl = https://example.com/x\n');
    await commitAll();
    const sub = await repo.git('rev-parse', 'HEAD');
    await repo.git('update-index', '--add', '--cacheinfo', `160000,${sub},vendored`);
    await repo.git('commit', '-q', '-m', 'gitlink');
    const r = await screenDiff(repo.path, 'main', defaults);
    const byPath = Object.fromEntries(r.findings.map((f) => [f.path, `${f.kind}:${f.action}`]));
    expect(byPath).toEqual({
      passwd: 'symlinkOutside:refuse',
      'src/ssh': 'symlinkOutside:refuse',
      gitcfg: 'symlinkOutside:refuse',
      'big.bin': 'largeFile:refuse',
      'run.sh': 'executable:block',
      '.gitattributes': 'gitConfig:block',
      '.gitmodules': 'submodule:refuse',
      vendored: 'submodule:refuse',
    });
    expect(r.refused.map((f) => f.path).sort()).toEqual(['.gitmodules', 'big.bin', 'gitcfg', 'passwd', 'src/ssh', 'vendored']);
    expect(r.blocked.map((f) => f.path).sort()).toEqual(['.gitattributes', 'run.sh']);
    expect(describeScreenFindings(r.refused)).toMatch(/passwd \(symlinkOutside: -> \/etc\/passwd\)/);
  });

  it('packet actions apply: allow drops a finding, block and refuse switch places, maxFileBytes is the limit', async () => {
    writeFileSync(join(repo.path, 'mid.bin'), Buffer.alloc(2_000, 1));
    writeFileSync(join(repo.path, 'tool.sh'), '#!/bin/sh\n');
    chmodSync(join(repo.path, 'tool.sh'), 0o755);
    await commitAll();
    const r = await screenDiff(repo.path, 'main', ScreenSchema.parse({ maxFileBytes: 1_000, largeFile: 'block', executable: 'allow' }));
    expect(r.findings.map((f) => `${f.path}:${f.kind}:${f.action}`)).toEqual(['mid.bin:largeFile:block']);
  });

  it('a mode change 644 -> 755 on an existing file counts; files from the base branch do not', async () => {
    await repo.git('checkout', '-q', 'main');
    mkdirSync(join(repo.path, 'bin'));
    writeFileSync(join(repo.path, 'bin', 'base.sh'), '#!/bin/sh\n');
    chmodSync(join(repo.path, 'bin', 'base.sh'), 0o755);
    await commitAll();
    await repo.git('checkout', '-q', 'lane');
    await repo.git('merge', '-q', 'main');
    chmodSync(join(repo.path, 'src', 'math.js'), 0o755);
    await commitAll();
    const r = await screenDiff(repo.path, 'main', defaults);
    expect(r.findings.map((f) => `${f.path}:${f.detail}`)).toEqual(['src/math.js:mode 100644 -> 100755']);
  });

  it.each([
    ['a/b', '../c', false],
    ['a/b', '../../c', true],
    ['x', '/abs', true],
    ['x', 'C:\\\\win', true],
    ['d/x', '../.git/hooks', true],
    ['x', 'sub/../../y', true],
    ['x', './y', false],
  ])('symlinkLeaves(%s -> %s) = %s', (path, target, leaves) => {
    expect(symlinkLeaves(path, target)).toBe(leaves);
  });
});
