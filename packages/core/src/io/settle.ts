/**
 * Waits for every promise, then throws the first failure in the order given, so that no write is
 * still running when a caller reacts to an error (and, say, removes the folder being written).
 */
export async function allSettledOrThrow(work: readonly Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(work);
  for (const result of results) if (result.status === 'rejected') throw result.reason;
}
