// `npm run setup`: compile if needed, then provision the Temporal binary via `lanes setup`.
// Plain JS so it runs before anything is built.
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

const run = (cmd, args) => execFileSync(cmd, args, { stdio: 'inherit' });
if (!existsSync(new URL('../dist/cli/index.js', import.meta.url))) run('npm', ['run', '--silent', 'build']);
run(process.execPath, [new URL('../bin/lanes.js', import.meta.url).pathname, 'setup']);
