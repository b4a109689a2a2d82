/**
 * Builds of the `GET /tree` answer shared by the requests that wait for the same one. A request
 * never gets a build that started before it arrived (a run published a moment earlier is always
 * in its answer): with no build running it starts one; while one runs it waits for the next,
 * which every request arriving meanwhile shares. Each build is serialised to JSON bytes once, so
 * ten windows or scripts polling a 10k-run lab cost one walk and one encoding, not ten.
 */
export class SharedBuilds {
  readonly #build: () => Promise<unknown>;
  #running: Promise<Buffer> | null = null;
  #queued: Promise<Buffer> | null = null;

  /** `build` makes one fresh answer; it is called again for every shared build. */
  constructor(build: () => Promise<unknown>) {
    this.#build = build;
  }

  /** The JSON bytes of a build that started no earlier than this call. */
  get(): Promise<Buffer> {
    if (this.#running === null) return this.#start();
    this.#queued ??= this.#running.then(
      () => this.#startQueued(),
      () => this.#startQueued(),
    );
    return this.#queued;
  }

  #startQueued(): Promise<Buffer> {
    this.#queued = null;
    return this.#start();
  }

  #start(): Promise<Buffer> {
    const build = this.#build()
      .then((answer) => Buffer.from(JSON.stringify(answer)))
      .finally(() => {
        if (this.#running === build) this.#running = null;
      });
    this.#running = build;
    return build;
  }
}
