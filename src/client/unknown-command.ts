// `lanes <unknown> --help`: commander shows the parent's help and exits 0, which reads as
// success to scripts. An unknown command is a usage error (exit 2) with or without --help.
import type { Command } from 'commander';
import { LanesError } from '../lanes-error.js';

/** The usage error for argv naming an unknown (sub)command next to --help/-h, if any. */
export function unknownCommandWithHelp(program: Command, args: readonly string[]): LanesError | undefined {
  if (!args.some((a) => a === '--help' || a === '-h')) return undefined;
  let cmd = program;
  const path = ['lanes'];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') return undefined;
    if (a.startsWith('-')) {
      // Skip the value of an option that takes one (given as a separate word).
      const opt = cmd.options.find((o) => o.long === a || o.short === a) ?? program.options.find((o) => o.long === a || o.short === a);
      if (opt && (opt.required || opt.optional) && !a.includes('=')) i++;
      continue;
    }
    if (cmd.commands.length === 0) return undefined;
    const next = cmd.commands.find((c) => c.name() === a || c.aliases().includes(a));
    if (a === 'help' && cmd === program) return undefined;
    if (!next) {
      return new LanesError('usage', `unknown command '${a}' for ${path.join(' ')}`, `Run \`${path.join(' ')} --help\` for the commands: ${cmd.commands.map((c) => c.name()).join(', ')}.`);
    }
    cmd = next;
    path.push(a);
  }
  return undefined;
}
