// Lint: typescript-eslint recommended, plus determinism guards on workflow code.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
            { group: ['execa', 'simple-git', '@anthropic-ai/sdk', 'openai', '@modelcontextprotocol/*', '@temporalio/activity', '@temporalio/client', '@temporalio/worker'], message: 'Side effects belong in activities.' },
            // mcp/report.ts is pure (zod only) and shared with workflows on purpose.
            { group: ['../activities/*', '../providers/*', '../mcp/*', '!../mcp/report.js'], allowTypeImports: true, message: 'Import activities with `import type` only.' },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly' } },
  },
);
