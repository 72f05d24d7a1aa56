// Read/write lock conflicts between run tasks. A lock is a named resource ("db-schema") or a
// path glob ("src/api/**"). Glob overlap is undecidable in general, so a glob is taken to
// cover everything under its static prefix: two locks may be judged to conflict when they do
// not, never the other way round. Pure: the run workflow calls it.
export interface TaskLocks {
  reads: readonly string[];
  writes: readonly string[];
}

const GLOB_CHARS = /[*?[\]{}()!]/;

function staticPrefix(lock: string): string | null {
  const i = lock.search(GLOB_CHARS);
  return i === -1 ? null : lock.slice(0, i);
}

/** Whether two lock strings may name the same thing. */
export function locksOverlap(a: string, b: string): boolean {
  if (a === b) return true;
  const pa = staticPrefix(a);
  const pb = staticPrefix(b);
  if (pa === null && pb === null) return a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
  const x = pa ?? a;
  const y = pb ?? b;
  return x.startsWith(y) || y.startsWith(x);
}

/** Write/write and read/write overlaps conflict; read/read never does. */
export function locksConflict(a: TaskLocks, b: TaskLocks): boolean {
  const any = (xs: readonly string[], ys: readonly string[]) => xs.some((x) => ys.some((y) => locksOverlap(x, y)));
  return any(a.writes, b.writes) || any(a.writes, b.reads) || any(a.reads, b.writes);
}
