// Mock-model scripts that make the REAL external agents fix the calculator fixture
// (src/demo/fixture-repo.ts) with their own tools: read the module, edit it, run the tests
// through their shell tool, finish. Register them on the mock model server by name
// and select one with `[[mock:<name>]]` in the packet objective.
import type { ScriptedTurn } from '../providers/scripted.js';
import { CALCULATOR_FIX } from '../demo/fixture-repo.js';

const ADD = 'export function add(a, b) {\n  return a + b;\n}\n';

/** Claude Code's tools: Read before Edit (it refuses to change a file it has not read). */
export const CLAUDE_CODE_FIX_SCRIPT: ScriptedTurn[] = [
  { text: 'Reading the module under test.', toolCalls: [{ name: 'Read', input: { file_path: 'src/math.js' } }] },
  { text: 'multiply is missing; adding it.', toolCalls: [{ name: 'Edit', input: { file_path: 'src/math.js', old_string: ADD, new_string: CALCULATOR_FIX } }] },
  { text: 'Running the tests.', toolCalls: [{ name: 'Bash', input: { command: 'node --test test/', description: 'Run the unit tests' } }] },
  { text: 'Added multiply(a, b) to src/math.js; the tests pass.' },
];

/**
 * Codex's shell tool (`exec_command`) does the reading, the edit and the test run; `login: false`
 * keeps it from sourcing the host's login profile (whose background jobs would outlive the pass).
 */
export const CODEX_FIX_SCRIPT: ScriptedTurn[] = [
  { text: 'Reading the module under test.', toolCalls: [{ name: 'exec_command', input: { cmd: 'cat src/math.js', login: false } }] },
  { text: 'multiply is missing; adding it.', toolCalls: [{ name: 'exec_command', input: { cmd: `cat > src/math.js <<'EOF'\n${CALCULATOR_FIX}EOF`, login: false } }] },
  { text: 'Running the tests.', toolCalls: [{ name: 'exec_command', input: { cmd: 'node --test test/', login: false } }] },
  { text: 'Added multiply(a, b) to src/math.js; the tests pass.' },
];

/** The testkit command agent's tools (command-agent.ts). */
export const COMMAND_AGENT_FIX_SCRIPT: ScriptedTurn[] = [
  { text: 'Reading the module under test.', toolCalls: [{ name: 'read_file', input: { path: 'src/math.js' } }] },
  { text: 'multiply is missing; writing it.', toolCalls: [{ name: 'write_file', input: { path: 'src/math.js', content: CALCULATOR_FIX } }] },
  { text: 'Running the tests.', toolCalls: [{ name: 'bash', input: { command: 'node --test test/' } }] },
  { text: 'Added multiply(a, b) to src/math.js; the tests pass.' },
];

/** Scripts by the scenario names tests and drills use. */
export const AGENT_FIX_SCRIPTS: Record<string, ScriptedTurn[]> = {
  'claude-fix': CLAUDE_CODE_FIX_SCRIPT,
  'codex-fix': CODEX_FIX_SCRIPT,
  'command-fix': COMMAND_AGENT_FIX_SCRIPT,
};
