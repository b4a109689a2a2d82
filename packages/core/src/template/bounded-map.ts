/** The outcome of one task of {@link settleBounded}. */
export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * Runs `task` over `items` with at most `limit` in flight and waits for all of them; results
 * keep the order of `items`, so the caller can report the first failure in that order
 * rather than whichever failed first in time.
 */
export async function settleBounded<I, T>(items: readonly I[], limit: number, task: (item: I) => Promise<T>): Promise<Settled<T>[]> {
  const results = new Array<Settled<T>>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next;
      next += 1;
      try {
        results[index] = { ok: true, value: await task(items[index] as I) };
      } catch (error) {
        results[index] = { ok: false, error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** The values of `settled` in order; throws the first error in that order. */
export function valuesOrFirstError<T>(settled: readonly Settled<T>[]): T[] {
  return settled.map((outcome) => {
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  });
}
