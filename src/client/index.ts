// Entry point of the `lanes` binary. Imports stay minimal here: the invoked
// command's module brings what it needs (launch.ts); errors load only on failure.
import { CommanderError } from 'commander';
import { buildProgramFor } from './launch.js';
import { createOutput, formatFromArgv } from './output.js';
import { unknownCommandWithHelp } from './unknown-command.js';

const format = formatFromArgv(process.argv.slice(2));
const out = createOutput(format);

try {
  const program = await buildProgramFor(process.argv.slice(2), format);
  const unknown = unknownCommandWithHelp(program, process.argv.slice(2));
  if (unknown) throw unknown;
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') {
      process.exitCode = 0;
    } else {
      // commander already printed the text-mode message; JSON mode prints the contract body.
      const { LanesError } = await import('../errors.js');
      if (format === 'json') out.error(new LanesError('usage', e.message.replace(/^error: /, ''), 'Run `lanes <command> --help` for usage.'));
      process.exitCode = 2;
    }
  } else {
    const { toLanesError } = await import('../errors.js');
    const err = toLanesError(e);
    out.error(err);
    process.exitCode = err.exitCode;
  }
}
