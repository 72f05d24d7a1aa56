import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The Temporal native bridge breaks under worker threads (sdk-typescript#876).
    pool: 'forks',
    include: ['test/**/*.test.ts'],
    // The production suite has its own config (vitest.production.config.ts, npm run test:production).
    exclude: ['test/production/**', '**/node_modules/**'],
    globalSetup: ['test/support/global-setup.ts'],
    setupFiles: ['test/support/runtime.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // 2-core CI: at most two test files at once keeps dev-server-bound tests stable.
    maxWorkers: 2,
  },
});
