// One in-process queue per key: a run starts after every earlier run for the same key has
// settled (failed ones too), so runs for one key keep their call order and never overlap.
// Lane artifact files (one queue per file) and git mirrors (one per mirror) use it.

export type SerialByKey = <T>(key: string, run: () => Promise<T>) => Promise<T>;

export function serialByKey(): SerialByKey {
  /** The tail of each key's chain; an entry is removed once its chain is idle. */
  const tails = new Map<string, Promise<void>>();
  return <T>(key: string, run: () => Promise<T>): Promise<T> => {
    const result = (tails.get(key) ?? Promise.resolve()).then(run);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    tails.set(key, tail);
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
    return result;
  };
}
