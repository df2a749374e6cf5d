/**
 * Gathers the work of requests that wait into batches: while one batch runs, what is submitted queues up,
 * and the next batch takes all of it (up to maxItems). The embed workers use it so requests arriving
 * together are embedded and matched together. Each submitter gets its own results back, in order; a
 * failed batch fails its submitters only.
 */
interface Waiting<I, O> {
  items: I[];
  resolve: (out: O[]) => void;
  reject: (e: Error) => void;
}

export class MicroBatcher<I, O> {
  readonly #run: (items: I[]) => Promise<O[]>;
  readonly #maxItems: number;
  #queue: Waiting<I, O>[] = [];
  #running = false;
  /** Sizes of the batches run so far (items), for metrics and tests. */
  readonly batchSizes: number[] = [];

  constructor(run: (items: I[]) => Promise<O[]>, maxItems = 64) {
    this.#run = run;
    this.#maxItems = maxItems;
  }

  submit(items: I[]): Promise<O[]> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ items, resolve, reject });
      if (!this.#running) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#running = true;
    while (this.#queue.length > 0) {
      const batch: Waiting<I, O>[] = [];
      let count = 0;
      while (this.#queue.length > 0) {
        const next = this.#queue[0] as Waiting<I, O>;
        if (batch.length > 0 && count + next.items.length > this.#maxItems) break;
        batch.push(next);
        count += next.items.length;
        this.#queue.shift();
      }
      this.batchSizes.push(count);
      try {
        const out = await this.#run(batch.flatMap((b) => b.items));
        if (out.length !== count) throw new Error(`batch of ${count} items gave ${out.length} results`);
        let at = 0;
        for (const b of batch) {
          b.resolve(out.slice(at, at + b.items.length));
          at += b.items.length;
        }
      } catch (error) {
        for (const b of batch) b.reject(error as Error);
      }
    }
    this.#running = false;
  }
}
