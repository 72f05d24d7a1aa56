// Tiny argv reader shared by the fixture servers: `--flag value` and bare `--flag`.
import { appendFileSync } from 'node:fs';

export function argValue(flag: string, argv: readonly string[] = process.argv.slice(2)): string | undefined {
  const i = argv.indexOf(flag);
  if (i === -1) return undefined;
  const value = argv[i + 1];
  return value === undefined || value.startsWith('--') ? undefined : value;
}

export function hasFlag(flag: string, argv: readonly string[] = process.argv.slice(2)): boolean {
  return argv.includes(flag);
}

/**
 * `--spawn-log <file>` makes a fixture append its pid once per start, so tests can
 * count restarts and check that every process ever spawned is gone.
 */
export function recordSpawn(): void {
  const file = argValue('--spawn-log');
  if (file) appendFileSync(file, `${process.pid}\n`);
}
