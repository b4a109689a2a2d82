/**
 * Writes of one shared record (an equipment's equipment.json) requested by concurrent creations.
 * One write runs at a time per key, so the file lock is never contended inside this process; the
 * requests that arrive while it runs are served by one more write with the newest timestamp
 * (each caller learns whether the write that covered it succeeded).
 */
export class CoalescedWrites {
  readonly #keys = new Map<string, { running: boolean; next: PendingWrite | null }>();

  /** Resolves once a write started after this call (carrying `at` or a later time) has finished. */
  write(key: string, at: Date, run: (at: Date) => Promise<unknown>): Promise<void> {
    let state = this.#keys.get(key);
    if (state === undefined) {
      state = { running: false, next: null };
      this.#keys.set(key, state);
    }
    if (state.next !== null) {
      if (at.getTime() >= state.next.at.getTime()) {
        state.next.at = at;
        state.next.run = run;
      }
      return state.next.done;
    }
    let resolve = (): void => undefined;
    let reject = (_error: unknown): void => undefined;
    const done = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    state.next = { at, run, done, resolve, reject };
    if (!state.running) void this.#drain(key, state);
    return done;
  }

  async #drain(key: string, state: { running: boolean; next: PendingWrite | null }): Promise<void> {
    state.running = true;
    while (state.next !== null) {
      const job = state.next;
      state.next = null;
      try {
        await job.run(job.at);
        job.resolve();
      } catch (error) {
        job.reject(error);
      }
    }
    state.running = false;
    this.#keys.delete(key);
  }
}

interface PendingWrite {
  at: Date;
  run: (at: Date) => Promise<unknown>;
  done: Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
}
