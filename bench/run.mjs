#!/usr/bin/env node
// `npm run bench [-- flags]`: the benchmark code is compiled with the CLI (src/bench -> dist/bench).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
const entry = new URL('../dist/bench/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('bench: not built yet (dist/bench is missing). Run `npm run build` first.\n');
  process.exit(1);
}
const { main } = await import(entry.href);
try {
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  if (e && e.code && String(e.code).startsWith('commander.')) process.exitCode = e.code === 'commander.helpDisplayed' ? 0 : 2;
  else {
    process.stderr.write(`bench: ${e?.stack ?? e}\n`);
    process.exitCode = 1;
  }
}
// The Temporal client's native handles can keep the process alive.
setTimeout(() => process.exit(process.exitCode ?? 0), 200).unref();
