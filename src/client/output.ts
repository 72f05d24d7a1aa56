// The one output layer: every command prints through here, so --json and
// --output-format are honoured in one place, errors included. JSON mode is JSON Lines:
// every document is exactly one line, so a script reads stdout line by line whether a
// command printed one document (a result) or several (announcements, streams, an error).
import { GENERIC_HINT, type LanesError } from '../lanes-error.js';

export type OutputFormat = 'text' | 'json';

export interface Output {
  format: OutputFormat;
  /** A command's result: one JSON line on stdout, or the text rendering. */
  result(value: unknown, text: (value: any) => string): void;
  /** Progress for humans; silent in JSON mode so stdout stays one document. */
  info(line: string): void;
  error(err: LanesError): void;
  /** One JSON line per item (streams such as --follow); text rendering otherwise. */
  line(value: unknown, text: (value: any) => string): void;
}

/**
 * One JSON document as one line. JSON.stringify without indentation escapes every
 * newline inside strings, so the only newline is the terminator.
 */
export function jsonLine(value: unknown): string {
  return `${JSON.stringify(value)}\n`;
}

export function createOutput(format: OutputFormat): Output {
  return {
    format,
    result(value, text) {
      process.stdout.write(format === 'json' ? jsonLine(value) : text(value).replace(/\n?$/, '\n'));
    },
    line(value, text) {
      process.stdout.write(format === 'json' ? jsonLine(value) : text(value).replace(/\n?$/, '\n'));
    },
    info(line) {
      if (format === 'text') process.stderr.write(line + '\n');
    },
    error(err) {
      const body = { error: { class: err.failureClass ?? err.code, code: err.code, message: err.message, hint: err.hint ?? GENERIC_HINT } };
      // One line like every document: an error may end a stream (--follow, --wait).
      if (format === 'json') process.stdout.write(jsonLine(body));
      else process.stderr.write(`lanes: error: ${err.message}\nhint: ${err.hint ?? GENERIC_HINT}\n`);
    },
  };
}

/**
 * The format requested on the command line, read before commander parses it so
 * that even a usage error is reported in the format the caller asked for.
 */
export function formatFromArgv(argv: string[]): OutputFormat {
  let format: OutputFormat = 'text';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') break;
    if (a === '--json') format = 'json';
    else if (a === '--output-format' && argv[i + 1]) format = argv[i + 1] === 'json' ? 'json' : 'text';
    else if (a?.startsWith('--output-format=')) format = a.slice('--output-format='.length) === 'json' ? 'json' : 'text';
  }
  return format;
}
