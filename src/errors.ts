// Local (non-Temporal) errors. Failures that cross Temporal use laneFailure();
// everything the CLI or a host-side module raises is a LanesError with a code.
import { classifyFailure, isFailureClass } from './failure-classes.js';
import { GENERIC_HINT, LanesError } from './lanes-error.js';

export { GENERIC_HINT, LanesError, type LanesErrorCode } from './lanes-error.js';

/** gRPC codes that mean the server is gone or not answering (UNAVAILABLE, DEADLINE_EXCEEDED). */
const SERVER_LOST_CODES = new Set([14, 4]);

/** Normalize anything thrown into a LanesError at a boundary (CLI, worker bootstrap). */
export function toLanesError(err: unknown): LanesError {
  if (err instanceof LanesError) return err;
  if (err instanceof Error) {
    const grpcCode = (err as { cause?: { code?: unknown } }).cause?.code ?? (err as { code?: unknown }).code;
    if (err.name === 'ServiceError' && typeof grpcCode === 'number' && SERVER_LOST_CODES.has(grpcCode)) {
      return new LanesError(
        'unavailable',
        `lost the Temporal server: ${err.message}`,
        'Check the server is running (`lanes doctor`; start it with `lanes up`). Lanes keep their place on the server: `lanes status <lane>` or `lanes submit <packet> --wait` picks up where this stopped.',
        'infra',
        { cause: err },
      );
    }
    const type = (err as { type?: unknown }).type;
    const cls = isFailureClass(type) ? type : classifyFailure(err, 'infra');
    const hint = (err as { details?: [{ hint?: unknown }?] }).details?.[0]?.hint;
    return new LanesError('runtime', err.message, typeof hint === 'string' ? hint : GENERIC_HINT, cls, { cause: err });
  }
  return new LanesError('runtime', String(err), GENERIC_HINT);
}
