// One Temporal dev server for the whole test run (free ports, temp SQLite),
// handed to test files through vitest's provide/inject.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { requireTemporalBinary } from '../../src/devserver/provision.js';
import { freePort, startDevServer } from '../../src/devserver/server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    /** The same server's HTTP API (host:port), for the CLI's HTTP read path. */
    temporalHttpAddress: string;
    temporalNamespace: string;
    temporalBinary: string;
    /** The dev server's Web UI, for the browser tests of the lane view. */
    temporalUiUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const binary = await requireTemporalBinary({ install: false });
  const dir = mkdtempSync(join(tmpdir(), 'lanes-test-server-'));
  const server = await startDevServer({
    binaryPath: binary.path,
    dbFile: join(dir, 'temporal.sqlite'),
    port: await freePort(),
    uiPort: await freePort(),
    namespace: 'default',
    readyTimeoutMs: 90_000,
  });
  project.provide('temporalAddress', server.address);
  project.provide('temporalHttpAddress', server.httpAddress);
  project.provide('temporalNamespace', server.namespace);
  project.provide('temporalBinary', binary.path);
  project.provide('temporalUiUrl', server.uiUrl!);
  return async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
