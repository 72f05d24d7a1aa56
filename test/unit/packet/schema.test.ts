import { describe, expect, it } from 'vitest';
import {
  AcceptanceCommandSchema,
  GREEN_LEVELS,
  GreenLevelSchema,
  MergeModeSchema,
  RetestCandidateSchema,
  PermissionModeSchema,
  ProviderNameSchema,
  StalenessPolicySchema,
  TaskPacketSchema,
  type TaskPacket,
  type TaskPacketInput,
} from '../../../src/packet/schema.js';

const minimal: TaskPacketInput = {
  objective: '  Fix the bug  ',
  repo: { path: '/repos/app' },
  acceptance: { targeted: ['npm test'] },
  agent: { provider: 'scripted', model: 'scripted', script: [{ text: 'done' }] },
};

function withPatch(patch: Record<string, unknown>): unknown {
  return { ...minimal, ...patch };
}

describe('packet/schema', () => {
  it('applies every default to a minimal packet', () => {
    const packet: TaskPacket = TaskPacketSchema.parse(minimal);
    expect(packet).toEqual({
      objective: 'Fix the bug',
      scope: { kind: 'workspace', paths: [], writeManifest: ['**'] },
      repo: { path: '/repos/app', baseBranch: 'main' },
      branch: { staleness: 'merge_forward' },
      acceptance: {
        targeted: [{ run: 'npm test', name: 'npm test' }],
        package: [],
        workspace: [],
        mergeReady: [],
        requiredLevel: 'merge_ready',
        timeoutMs: 600_000,
      },
      commit: { policy: 'on_green', author: { name: 'Lanes', email: 'lanes@localhost' } },
      merge: { target: 'main', mode: 'merge', requireReview: false, retestCandidate: 'when-changed' },
      agent: {
        kind: 'builtin',
        provider: 'scripted',
        model: 'scripted',
        maxTurns: 20,
        permissionMode: 'workspace_write',
        maxTokens: 4096,
        script: [{ text: 'done' }],
        extraArgs: [],
        stallTimeoutMs: 300_000,
        passTimeoutMs: 3_600_000,
      },
      mcp: { servers: {} },
      budget: { mode: 'block' },
      report: { level: 'summary' },
      escalation: { recoveryAttempts: 1, timeoutMs: 86_400_000, onTimeout: 'fail' },
      sandbox: { network: 'none', readOnly: [], writable: [], hide: [] },
      secrets: [],
      screen: { symlinkOutside: 'refuse', largeFile: 'refuse', maxFileBytes: 5_000_000, executable: 'block', submodule: 'refuse', gitConfig: 'block' },
    });
    // The schema never invents an id or a branch name: submit derives them.
    expect(packet).not.toHaveProperty('id');
    expect(packet.branch).not.toHaveProperty('name');
  });

  it('defaults merge.target to repo.baseBranch but keeps an explicit target', () => {
    expect(TaskPacketSchema.parse(withPatch({ repo: { url: 'git@example.com:a/b.git', baseBranch: 'develop' } })).merge.target).toBe('develop');
    expect(TaskPacketSchema.parse(withPatch({ merge: { target: 'release/1.x' } })).merge.target).toBe('release/1.x');
  });

  it.each([
    ['a plain string', 'npm test', { run: 'npm test', name: 'npm test' }],
    ['an object without name', { run: 'make check' }, { run: 'make check', name: 'make check' }],
    ['an object with name and timeout', { run: 'make', name: 'build', timeoutMs: 5000 }, { run: 'make', name: 'build', timeoutMs: 5000 }],
    ['a string with surrounding spaces', '  go test ./...  ', { run: 'go test ./...', name: 'go test ./...' }],
  ])('normalizes a command given as %s', (_label, input, expected) => {
    const cmd = AcceptanceCommandSchema.parse(input);
    expect(cmd).toEqual(expected);
    // An absent timeout stays absent so acceptance.timeoutMs applies, not a baked-in copy.
    if (!('timeoutMs' in expected)) expect(cmd).not.toHaveProperty('timeoutMs');
  });

  it('names a long command by its first 60 characters', () => {
    const run = `npm test -- ${'x'.repeat(100)}`;
    const cmd = AcceptanceCommandSchema.parse(run);
    expect(cmd.run).toBe(run);
    expect(cmd.name).toHaveLength(60);
    expect(run.startsWith(cmd.name.slice(0, 59))).toBe(true);
  });

  it('lists green levels from weakest to strongest', () => {
    expect(GREEN_LEVELS).toEqual(['none', 'targeted', 'package', 'workspace', 'merge_ready']);
    expect(GreenLevelSchema.options).toEqual([...GREEN_LEVELS]);
  });

  it.each([
    [MergeModeSchema, ['merge', 'squash', 'ff_only', 'none']],
    [RetestCandidateSchema, ['when-changed', 'always']],
    [PermissionModeSchema, ['read_only', 'workspace_write', 'danger_full_access']],
    [StalenessPolicySchema, ['merge_forward', 'rebase', 'fail', 'ignore']],
    [ProviderNameSchema, ['anthropic', 'openai', 'scripted']],
  ] as const)('exports the enum %# with its exact options', (schema, options) => {
    expect(schema.options).toEqual(options);
    expect(schema.safeParse('bogus').success).toBe(false);
  });

  it.each([
    ['an unknown top-level key', { extra: 1 }],
    ['an unknown nested key', { scope: { kind: 'module', bogus: true } }],
    ['an unknown key in a command object', { acceptance: { targeted: [{ run: 'x', cwd: '/' }] } }],
    ['both repo.path and repo.url', { repo: { path: '/a', url: 'https://x/y.git' } }],
    ['neither repo.path nor repo.url', { repo: { baseBranch: 'main' } }],
    ['a scripted provider without script', { agent: { provider: 'scripted', model: 'm' } }],
    ['a script for a real provider', { agent: { provider: 'openai', model: 'gpt', script: [{ text: 'x' }] } }],
    ['a scripted turn with neither text nor toolCalls', { agent: { provider: 'scripted', model: 'm', script: [{}] } }],
    ['a required level with no commands', { acceptance: { requiredLevel: 'targeted' } }],
    ['an invalid branch name', { branch: { name: 'lanes/..bad' } }],
    ['an invalid base branch', { repo: { path: '/a', baseBranch: 'has space' } }],
    ['an id with a slash', { id: 'a/b' }],
    ['an id longer than 64 characters', { id: 'a'.repeat(65) }],
    ['an empty objective after trimming', { objective: '   ' }],
    ['maxTurns above 200', { agent: { provider: 'scripted', model: 'm', maxTurns: 201, script: [] } }],
    ['recoveryAttempts above 5', { escalation: { recoveryAttempts: 6 } }],
    ['a non-http webhook', { report: { webhook: 'ftp://example.com/hook' } }],
    ['an MCP server name with a space', { mcp: { servers: { 'my server': { command: 'x' } } } }],
    ['an MCP server entry that is not an object', { mcp: { servers: { fs: 'npx server' } } }],
    ['an empty command string', { acceptance: { targeted: [''] } }],
    ['a zero timeout', { acceptance: { targeted: ['x'], timeoutMs: 0 } }],
  ])('refuses %s', (_label, patch) => {
    const result = TaskPacketSchema.safeParse(withPatch(patch));
    expect(result.success).toBe(false);
    expect(result.data).toBeUndefined();
  });

  it('accepts any JSON object as an MCP server entry (validated later, one by one)', () => {
    const packet = TaskPacketSchema.parse(withPatch({ mcp: { servers: { weird: { anything: [1, 2], nested: { ok: true } } } } }));
    expect(packet.mcp.servers.weird).toEqual({ anything: [1, 2], nested: { ok: true } });
  });

  it('accepts requiredLevel none with no commands at all', () => {
    const packet = TaskPacketSchema.parse(withPatch({ acceptance: { requiredLevel: 'none' } }));
    expect(packet.acceptance.targeted).toEqual([]);
    expect(packet.acceptance.requiredLevel).toBe('none');
  });

  it('does not mutate the input it parses', () => {
    const input = structuredClone(minimal);
    TaskPacketSchema.parse(input);
    expect(input).toEqual(minimal);
  });
});
