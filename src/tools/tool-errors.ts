// What a tool says back to the agent when it will not or could not do the call. Both are
// turned into a ToolResult by runTool; they never cross Temporal as failures.
import { LanesError } from '../errors.js';
import type { FailureClass } from '../failures.js';

/** The call was refused by policy (confinement, permission mode, write manifest). */
export class ToolRefusal extends LanesError {
  override name = 'ToolRefusal';
  constructor(
    readonly refusalClass: FailureClass,
    reason: string,
    hint?: string,
  ) {
    super('validation', reason, hint, refusalClass);
  }
}

/** The call was allowed but failed (file missing, pattern invalid, old_string absent). */
export class ToolError extends LanesError {
  override name = 'ToolError';
  constructor(message: string, hint?: string) {
    super('runtime', message, hint, 'tool_runtime');
  }
}

/** File-system errors that mean "the agent asked for something that is not there", not "the host is broken". */
const AGENT_FS_ERRORS = new Set(['ENOENT', 'EISDIR', 'ENOTDIR', 'EEXIST', 'ENOTEMPTY', 'EACCES', 'EPERM', 'ELOOP', 'ENAMETOOLONG', 'EINVAL']);

/** Converts an fs error the agent caused into a ToolError; anything else is rethrown. */
export function toToolError(err: unknown, path: string): ToolError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code && AGENT_FS_ERRORS.has(code)) {
    const what: Record<string, string> = {
      ENOENT: 'does not exist',
      EISDIR: 'is a directory',
      ENOTDIR: 'has a parent that is not a directory',
      EEXIST: 'already exists',
      ENOTEMPTY: 'is a non-empty directory',
      EACCES: 'is not accessible (permission denied)',
      EPERM: 'is not accessible (operation not permitted)',
      ELOOP: 'has too many levels of symbolic links',
      ENAMETOOLONG: 'is too long',
      EINVAL: 'is not valid for this operation',
    };
    return new ToolError(`${path} ${what[code] ?? code}`);
  }
  throw err;
}
