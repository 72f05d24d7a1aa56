import { defineConfig } from 'vitest/config';

// `npm run test:production`: Lanes on the production topology (PostgreSQL, the Temporal
// server with mTLS, two worker hosts). Files run one at a time: they kill and restart the
// shared server and PostgreSQL. See docs/production.md.
export default defineConfig({
  test: {
    // The Temporal native bridge breaks under worker threads (sdk-typescript#876).
    pool: 'forks',
    include: ['test/production/**/*.test.ts'],
    globalSetup: ['test/production/support/global-setup.ts'],
    setupFiles: ['test/support/runtime.ts'],
    fileParallelism: false,
    testTimeout: 240_000,
    // The first run on a machine builds the server binaries in global setup.
    hookTimeout: 240_000,
  },
});
