// Local (non-Temporal) errors. Failures that cross Temporal use laneFailure();
// everything the CLI or a host-side module raises is a LanesError with a code.
import { type FailureClass, classifyFailure, isFailureClass } from './failures.js';

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

/** Normalize anything thrown into a LanesError at a boundary (CLI, worker bootstrap). */
export function toLanesError(err: unknown): LanesError {
  if (err instanceof LanesError) return err;
  if (err instanceof Error) {
    const type = (err as { type?: unknown }).type;
    const cls = isFailureClass(type) ? type : classifyFailure(err, 'infra');
    return new LanesError('runtime', err.message, undefined, cls, { cause: err });
  }
  return new LanesError('runtime', String(err));
}
