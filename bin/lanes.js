#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build`.
import { existsSync } from 'node:fs';
import module from 'node:module';
import { fileURLToPath } from 'node:url';
// Node >= 22.1 keeps compiled code between runs (most of a command's start is compiling the
// Temporal SDK); on Node 20 the API is absent and this does nothing.
module.enableCompileCache?.();
// dist/cli/ is the bundled CLI (src/scripts/build-cli-bundle.ts): far fewer files to load.
const entry = new URL('../dist/cli/index.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('lanes: the CLI is not built yet (dist/cli/ is missing). Run `npm run build` in the lanes checkout.\n');
  process.exit(1);
}
await import(entry.href);
