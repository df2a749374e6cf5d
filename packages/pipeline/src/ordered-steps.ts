/**
 * Lets handlers that run concurrently publish in the order they started: each computes at its own pace,
 * then waits for every earlier one to have published (or failed) before publishing. The detect service
 * uses it so several frames are in work at once while detections still leave in frame order.
 */
export class OrderedSteps {
  #last: Promise<void> = Promise.resolve();

  /** Runs `compute` at once and `publish(result)` after every earlier run's publish; keeps order on failure too. */
  async run<T>(compute: () => Promise<T>, publish: (value: T) => Promise<void>): Promise<void> {
    const previous = this.#last;
    let release = () => {};
    this.#last = new Promise<void>((resolve) => {
      release = resolve;
    });
    try {
      const value = await compute();
      await previous;
      await publish(value);
    } finally {
      await previous;
      release();
    }
  }
}
