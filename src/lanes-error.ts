// LanesError: what every CLI and host-side module raises, with a code, an exit code
// and a hint. A leaf module (types only from failures.ts), so the CLI's output layer and
// `lanes --help` load it without the Temporal SDK and zod that failures.ts brings.
import type { FailureClass } from './failure-classes.js';

/** usage/validation map to exit code 2, everything else to 1. */
export type LanesErrorCode = 'usage' | 'validation' | 'not_found' | 'conflict' | 'runtime' | 'unavailable' | 'lane_failed';

export class LanesError extends Error {
  override name = 'LanesError';
  constructor(
    readonly code: LanesErrorCode,
    message: string,
    readonly hint?: string,
    readonly failureClass?: FailureClass,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  get exitCode(): number {
    return this.code === 'usage' || this.code === 'validation' || this.code === 'conflict' ? 2 : 1;
  }
}

/** The hint for an unexpected error: where to look next. Every error leaves the CLI with one. */
export const GENERIC_HINT = 'Run `lanes doctor` to check the server, worker and setup; rerun with --json to get the failure class.';
