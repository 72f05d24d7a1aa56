// Fixture: reads stdin and never answers, so initialize times out.
// `--ignore-sigterm` also ignores SIGTERM, forcing the SIGKILL path on shutdown.
import { hasFlag, recordSpawn } from './fixture-args.js';

recordSpawn();
if (hasFlag('--ignore-sigterm')) process.on('SIGTERM', () => {});
process.stdin.on('data', () => {});
// Stay alive even after stdin closes: a hung server does not notice EOF.
setInterval(() => {}, 60_000);
