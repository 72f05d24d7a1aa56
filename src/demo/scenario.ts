// The demo lane: the calculator fixture plus a packet whose agent adds `multiply`.
// With the scripted provider the agent's turns are fixed (offline, labelled scripted).
import type { TaskPacketInput } from '../packet/schema.js';
import type { ProviderName } from '../providers/types.js';

export const DEMO_MODELS: Record<ProviderName, string> = {
  scripted: 'scripted-demo',
  anthropic: 'claude-sonnet-4-5',
  openai: 'gpt-4o-mini',
};

/** A scripted agent that reads, fixes, runs the tests, and reports. */
export const CALCULATOR_SCRIPT = [
  { text: 'Reading the module under test.', toolCalls: [{ name: 'read_file', input: { path: 'src/math.js' } }] },
  {
    text: 'multiply is missing; adding it.',
    toolCalls: [
      {
        name: 'edit_file',
        input: { path: 'src/math.js', old_string: '  return a + b;\n}\n', new_string: '  return a + b;\n}\n\nexport function multiply(a, b) {\n  return a * b;\n}\n' },
      },
    ],
  },
  { text: 'Running the tests.', toolCalls: [{ name: 'bash', input: { command: 'node --test test/' } }] },
  { text: 'Added multiply(a, b) to src/math.js; the tests pass.' },
];

export function demoPacket(opts: { id: string; repoPath: string; provider: ProviderName; model?: string }): TaskPacketInput {
  return {
    id: opts.id,
    objective: 'The test "multiply multiplies" fails because src/math.js does not export multiply(a, b). Add it so `node --test test/` passes.',
    scope: { kind: 'module', paths: ['src/math.js'], writeManifest: ['src/**'] },
    repo: { path: opts.repoPath, baseBranch: 'main' },
    acceptance: { targeted: [{ run: 'node --test test/', name: 'unit tests' }], requiredLevel: 'merge_ready', timeoutMs: 60_000 },
    merge: { mode: 'merge' },
    agent: {
      provider: opts.provider,
      model: opts.model ?? DEMO_MODELS[opts.provider],
      maxTurns: 8,
      permissionMode: 'workspace_write',
      ...(opts.provider === 'scripted' ? { script: CALCULATOR_SCRIPT } : {}),
    },
  };
}
