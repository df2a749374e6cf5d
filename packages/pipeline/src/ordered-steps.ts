/**
 * Lets handlers that run concurrently publish in the order they started: each computes at its own pace,
 * then waits for every earlier one (of the same key) to have published (or failed) before publishing. The
 * detect service uses it, keyed by camera, so several frames are in work at once while each camera's
 * detections still leave in frame order, and a slow frame of one camera holds no other camera's frames.
 */
export class OrderedSteps {
  readonly #last = new Map<string, Promise<void>>();

  /**
   * Runs `compute` at once and `publish(result)` after every earlier run's publish of the same key; keeps
   * order on failure too.
   */
  async run<T>(compute: () => Promise<T>, publish: (value: T) => Promise<void>, key = ""): Promise<void> {
    const previous = this.#last.get(key) ?? Promise.resolve();
    let release = () => {};
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.#last.set(key, mine);
    try {
      const value = await compute();
      await previous;
      await publish(value);
    } finally {
      await previous;
      release();
      if (this.#last.get(key) === mine) this.#last.delete(key);
    }
  }
}
