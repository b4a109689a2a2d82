/**
 * Builds of an answer shared by the requests that wait for the same one (`GET /tree`). A request
 * never gets a build that started before it arrived (a run published a moment earlier is always
 * in its answer): with no build running it starts one; while one runs it waits for the next,
 * which every request arriving meanwhile shares. Ten windows or scripts polling a 10k-run lab
 * cost one check of the lab per round, not ten.
 */
export class SharedBuilds<T> {
  readonly #build: () => Promise<T>;
  #running: Promise<T> | null = null;
  #queued: Promise<T> | null = null;

  /** `build` makes one fresh answer; it is called again for every shared build. */
  constructor(build: () => Promise<T>) {
    this.#build = build;
  }

  /** The answer of a build that started no earlier than this call. */
  get(): Promise<T> {
    if (this.#running === null) return this.#start();
    this.#queued ??= this.#running.then(
      () => this.#startQueued(),
      () => this.#startQueued(),
    );
    return this.#queued;
  }

  #startQueued(): Promise<T> {
    this.#queued = null;
    return this.#start();
  }

  #start(): Promise<T> {
    const build = this.#build().finally(() => {
      if (this.#running === build) this.#running = null;
    });
    this.#running = build;
    return build;
  }
}
