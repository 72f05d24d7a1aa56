// Lint: typescript-eslint recommended, determinism guards on workflow code, and the
// import boundaries between layers (DESIGN.md §2; the rule is lint/import-boundaries.js).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import lanes from './lint/import-boundaries.js';

// Modules a workflow may import values from: deterministic, no I/O (zod and Temporal's
// workflow-safe packages only). Add a module here only if it is pure itself; the same
// zone applies to these modules, so a stray import in one of them fails too.
const PURE_FOR_WORKFLOWS = [
  'src/workflows/**',
  'src/failures.ts',
  'src/failure-classes.ts',
  'src/packet/schema.ts',
  'src/packet/plan-schema.ts',
  'src/packet/git-ref-name.ts',
  'src/packet/green-levels.ts',
  'src/packet/agent-schema.ts',
  'src/packet/zod-parts.ts',
  'src/tools/specs.ts',
  'src/mcp/report.ts',
  'src/shared/**',
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Workflows must stay deterministic: no Node built-ins, no I/O libraries,
    // activities only as types (DESIGN.md §1, conventions #3).
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*', 'fs', 'path', 'os', 'child_process', 'crypto', 'http', 'https', 'net'], message: 'Workflow code must be deterministic: no Node built-ins.' },
            { group: ['execa', '@anthropic-ai/sdk', 'openai', '@modelcontextprotocol/*', '@temporalio/activity', '@temporalio/client', '@temporalio/worker'], message: 'Side effects belong in activities.' },
            // mcp/report.ts is pure (zod only) and shared with workflows on purpose.
            { group: ['../activities/*', '../providers/*', '../mcp/*', '!../mcp/report.js'], allowTypeImports: true, message: 'Import activities with `import type` only.' },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.ts', '**/*.js', '**/*.mjs'],
    plugins: { lanes },
    rules: {
      'lanes/import-boundaries': [
        'error',
        {
          // The libraries activities stand on know nothing of who calls them.
          from: ['src/failures.ts', 'src/packet/**', 'src/git/**', 'src/tools/**', 'src/shell/**', 'src/providers/**', 'src/mcp/**', 'src/sandbox/**'],
          forbid: ['src/activities/**', 'src/worker/**', 'src/client/**', 'src/workflows/**'],
          message: 'libraries (packet, git, tools, shell, providers, mcp, sandbox) never import activities, worker, client or workflows; move the shared piece down.',
        },
        {
          from: PURE_FOR_WORKFLOWS,
          allowOnly: PURE_FOR_WORKFLOWS,
          packages: ['@temporalio/workflow', '@temporalio/common', 'zod'],
          allowTypeImports: true,
          message: 'workflow code imports values only from pure modules (PURE_FOR_WORKFLOWS in eslint.config.js); activities and I/O libraries only with `import type`.',
        },
        {
          // The git host process stays small: its fork()s of git are cheap only while it is.
          from: ['src/git/git-host-main.ts', 'src/git/exec.ts'],
          allowOnly: ['src/git/exec.ts'],
          packages: ['execa'],
          message: 'the git host (git-host-main.ts, exec.ts) imports only exec.ts, execa and node built-ins; keep it small.',
        },
        {
          from: ['src/**', 'bench/**', 'scripts/**', 'bin/**', 'lint/**'],
          except: ['src/testkit/**'],
          forbid: ['src/testkit/**'],
          message: 'src/testkit is test-only; fixtures production commands need live in src/fixtures/ (or src/demo/).',
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly' } },
  },
);
