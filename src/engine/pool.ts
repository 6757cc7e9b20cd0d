// Bounded concurrency for the engine's many small file operations (each await on the thread pool costs a round trip).

/** Runs `work` on every item with at most `limit` in flight; rejects with the first failure after all workers stop. */
export async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T, worker: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (id: number): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const item = items[next++];
      try {
        await work(item, id);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, (_, i) => worker(i)));
  if (failure) throw failure.error;
}

/** Like Promise.all over a mapping, with at most `limit` in flight; results keep the input order. */
export async function mapLimited<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  const indexed = items.map((item, i) => ({ item, i }));
  await forEachLimited(indexed, limit, async ({ item, i }) => {
    out[i] = await work(item);
  });
  return out;
}

/** Concurrency of file operations: enough to hide thread-pool latency, small enough for bounded memory (buffers). */
export const FILE_CONCURRENCY = 8;
