// The import-boundary zones of eslint.config.js, run through ESLint's RuleTester with the
// real zone list: each layer rule catches a violation and lets the legal imports through.
import { join } from 'node:path';
import { RuleTester } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, it } from 'vitest';
// @ts-expect-error -- plain JS modules without declarations
import config from '../../../eslint.config.js';
// @ts-expect-error -- plain JS modules without declarations
import { importBoundaries } from '../../../lint/import-boundaries.js';

RuleTester.describe = describe;
RuleTester.it = it;

type Entry = { rules?: Record<string, unknown> };
const entry = (config as Entry[]).find((c) => c.rules?.['lanes/import-boundaries']);
const [, ...zones] = entry!.rules!['lanes/import-boundaries'] as [string, ...object[]];

const tester = new RuleTester({ languageOptions: { parser: tseslint.parser as never } });
const at = (file: string) => join(process.cwd(), file);
const bad = (file: string, code: string) => ({ filename: at(file), code, options: zones, errors: [{ messageId: 'boundary' }] });
const good = (file: string, code: string) => ({ filename: at(file), code, options: zones });

tester.run('lanes/import-boundaries', importBoundaries, {
  valid: [
    good('src/git/merge.ts', "import { laneFailure } from '../failures.js';"),
    good('src/activities/git.ts', "import { mergeLane } from '../git/merge.js';"),
    good('src/workflows/lane/land.ts', "import type { LanesActivities } from '../../worker/activities.js';"),
    good('src/workflows/lane/land.ts', "import { type AcceptanceResult } from '../../activities/tests.js';"),
    good('src/workflows/lane/land.ts', "import { proxyActivities } from '@temporalio/workflow';\nimport { classifyFailure } from '../../failures.js';"),
    good('src/workflows/state.ts', "import { GREEN_LEVELS } from '../packet/schema.js';"),
    good('src/drill/scenario.ts', "import { fixtureServerCommand } from '../fixtures/mcp/fixture-servers.js';"),
    good('src/testkit/command-agent.ts', "import { x } from './other.js';"),
    good('test/unit/x.test.ts', "import { y } from '../../src/testkit/command-agent.js';"),
  ],
  invalid: [
    // Must not: a library reaching up into the layers that use it.
    bad('src/mcp/pid-file.ts', "import { writeFileAtomic } from '../activities/artifacts.js';"),
    bad('src/git/merge.ts', "import type { LaneStatus } from '../workflows/lane/api.js';"),
    bad('src/providers/anthropic.ts', "export { x } from '../worker/worker.js';"),
    bad('src/packet/parse.ts', "const m = await import('../client/output.js');"),
    // Must not: workflow code importing I/O or activity implementations by value.
    bad('src/workflows/lane/land.ts', "import { readFileSync } from 'node:fs';"),
    bad('src/workflows/lane/land.ts', "import { execa } from 'execa';"),
    bad('src/workflows/lane/land.ts', "import { createGitActivities } from '../../activities/git.js';"),
    bad('src/workflows/policy.ts', "import { parsePacket } from '../packet/parse.js';"),
    // ...nor a "pure" module turning impure behind the workflows' back.
    bad('src/mcp/report.ts', "import { spawn } from 'node:child_process';"),
    // Must not: production code importing the test-only kit.
    bad('src/drill/crash-drill.ts', "import { x } from '../testkit/command-agent.js';"),
    bad('bench/run.mjs', "import { x } from '../src/testkit/command-agent.js';"),
  ],
});
