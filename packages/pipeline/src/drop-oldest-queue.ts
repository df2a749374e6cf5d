/**
 * A bounded queue that never blocks the producer: when full, the oldest item is dropped (and counted).
 * Ingest uses it between capture and publishing so a slow bus never stalls capture or grows memory.
 */
export class DropOldestQueue<T> {
  readonly capacity: number;
  #items: T[] = [];
  #dropped = 0;
  #waiters: ((item: T | undefined) => void)[] = [];
  #spaceWaiters: (() => void)[] = [];
  #closed = false;

  constructor(capacity: number) {
    if (!(Number.isInteger(capacity) && capacity >= 1))
      throw new RangeError(`capacity must be ≥ 1, got ${capacity}`);
    this.capacity = capacity;
  }

  get size(): number {
    return this.#items.length;
  }

  get dropped(): number {
    return this.#dropped;
  }

  /** Adds an item; returns the dropped oldest item when the queue was full. */
  push(item: T): T | undefined {
    if (this.#closed) throw new Error("queue is closed");
    const waiter = this.#waiters.shift();
    if (waiter) {
      waiter(item);
      return undefined;
    }
    this.#items.push(item);
    if (this.#items.length <= this.capacity) return undefined;
    this.#dropped++;
    return this.#items.shift();
  }

  /**
   * Adds an item once there is room (nothing is dropped): for producers that can wait, such as a file read
   * faster than real time. Resolves false when the queue was closed instead.
   */
  async pushWhenRoom(item: T): Promise<boolean> {
    while (!this.#closed && this.#items.length >= this.capacity) {
      await new Promise<void>((resolve) => this.#spaceWaiters.push(resolve));
    }
    if (this.#closed) return false;
    this.push(item);
    return true;
  }

  /** The next item, waiting for one; undefined once the queue is closed and empty. */
  async take(): Promise<T | undefined> {
    const item = this.#items.shift();
    this.#spaceWaiters.shift()?.();
    if (item !== undefined || this.#closed) return item;
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  close(): void {
    this.#closed = true;
    for (const w of this.#waiters.splice(0)) w(undefined);
    for (const w of this.#spaceWaiters.splice(0)) w();
  }
}
