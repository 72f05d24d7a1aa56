// Build step: records each command module's top-level commands (name, description)
// in dist/client/cli-manifest.json, so the binary can show `lanes --help` and find
// a command's module without importing every module (src/client/launch.ts).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { COMMAND_MODULES, type ManifestEntry } from '../client/command-modules.js';
import { MANIFEST_URL } from '../client/launch.js';
import { baseProgram } from '../client/program-base.js';

const entries: ManifestEntry[] = [];
for (const [module, load] of Object.entries(COMMAND_MODULES)) {
  const program = baseProgram('text');
  (await load())(program);
  for (const c of program.commands) entries.push({ module, name: c.name(), description: c.description() });
}
writeFileSync(MANIFEST_URL, JSON.stringify(entries, null, 2) + '\n');
process.stdout.write(`cli manifest: ${fileURLToPath(MANIFEST_URL)} (${entries.length} commands)\n`);
// Command modules may hold native handles (Temporal runtime): do not wait for them.
process.exit(0);
