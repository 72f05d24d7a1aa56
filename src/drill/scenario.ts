// The lane every drill runs: the calculator fixture, an agent (the mock model over
// HTTP, Anthropic wire format) that reads, calls an MCP tool, fixes, tests and
// reports, one MCP stdio server, and a tested merge into main. It passes through
// every kill point of its agent kind (pointsForAgent): with `agent` claude_code or
// codex the real CLI does the agent's part against the mock.
import type { ScriptedTurn } from '../providers/scripted.js';
import type { TaskPacketInput } from '../packet/schema.js';
import { fixtureServerCommand } from '../fixtures/mcp/fixture-servers.js';
import { CLAUDE_CODE_FIX_SCRIPT, CODEX_FIX_SCRIPT } from '../fixtures/agent-scripts.js';

/** The mock model's script (same shape as CALCULATOR_SCRIPT, plus one MCP call). */
export const DRILL_SCRIPT: ScriptedTurn[] = [
  {
    text: 'Reading the module under test and checking the MCP server.',
    toolCalls: [
      { name: 'read_file', input: { path: 'src/math.js' } },
      { name: 'mcp__echo__echo', input: { message: 'drill' } },
    ],
  },
  {
    text: 'multiply is missing; writing the module with it.',
    // write_file rather than edit_file: re-running it after a crash is harmless.
    toolCalls: [{ name: 'write_file', input: { path: 'src/math.js', content: 'export function add(a, b) {\n  return a + b;\n}\n\nexport function multiply(a, b) {\n  return a * b;\n}\n' } }],
  },
  { text: 'Running the tests.', toolCalls: [{ name: 'bash', input: { command: 'node --test test/' } }] },
  { text: 'Added multiply(a, b) to src/math.js; the tests pass.' },
];

export interface DrillPacketOptions {
  id: string;
  repoPath: string;
  /** Mock scenario name: `[[mock:<scenario>]]` in the objective selects DRILL_SCRIPT. */
  scenario: string;
  /** File the MCP fixture appends each server pid to (to prove none outlives the lane). */
  mcpSpawnLog: string;
  /** builtin (default): Lanes' own loop; claude_code / codex: the real CLI against the mock. */
  agent?: 'builtin' | 'claude_code' | 'codex';
}

/** The mock's script for the drill lane's agent. */
export function drillScript(agent: DrillPacketOptions['agent'] = 'builtin'): ScriptedTurn[] {
  return agent === 'claude_code' ? CLAUDE_CODE_FIX_SCRIPT : agent === 'codex' ? CODEX_FIX_SCRIPT : DRILL_SCRIPT;
}

const DRILL_AGENT_SETTINGS = {
  builtin: { provider: 'anthropic', model: 'claude-sonnet-4-5', maxTurns: 8, permissionMode: 'workspace_write' },
  claude_code: { kind: 'claude_code', model: 'claude-sonnet-4-5', maxTurns: 8, permissionMode: 'workspace_write' },
  codex: { kind: 'codex', model: 'gpt-5.1-codex', permissionMode: 'workspace_write' },
} as const;

export function drillPacket(o: DrillPacketOptions): TaskPacketInput {
  const echo = fixtureServerCommand('echo-server', ['--spawn-log', o.mcpSpawnLog]);
  return {
    id: o.id,
    objective: `The test "multiply multiplies" fails: add multiply(a, b) to src/math.js so \`node --test test/\` passes. [[mock:${o.scenario}]]`,
    scope: { kind: 'module', paths: ['src/math.js'], writeManifest: ['src/**'] },
    repo: { path: o.repoPath, baseBranch: 'main' },
    acceptance: { targeted: [{ run: 'node --test test/', name: 'unit tests' }], requiredLevel: 'merge_ready', timeoutMs: 60_000 },
    merge: { mode: 'merge' },
    agent: { ...DRILL_AGENT_SETTINGS[o.agent ?? 'builtin'] },
    mcp: { servers: { echo: { command: echo.command, args: echo.args } } },
  };
}
