// Entry point of the `lanes` binary.
import { CommanderError } from 'commander';
import { LanesError, toLanesError } from '../errors.js';
import { createOutput, formatFromArgv } from './output.js';
import { buildProgram } from './program.js';
import { unknownCommandWithHelp } from './unknown-command.js';

const format = formatFromArgv(process.argv.slice(2));
const out = createOutput(format);

try {
  const program = buildProgram(format);
  const unknown = unknownCommandWithHelp(program, process.argv.slice(2));
  if (unknown) throw unknown;
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') {
      process.exitCode = 0;
    } else {
      // commander already printed the text-mode message; JSON mode prints the contract body.
      if (format === 'json') out.error(new LanesError('usage', e.message.replace(/^error: /, ''), 'Run `lanes <command> --help` for usage.'));
      process.exitCode = 2;
    }
  } else {
    const err = toLanesError(e);
    out.error(err);
    process.exitCode = err.exitCode;
  }
}
