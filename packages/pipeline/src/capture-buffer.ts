/**
 * The frames of one camera between capture and publishing, so capture never waits for the bus. Normally a
 * few frames, the oldest dropped when full (a slow bus costs frames, not latency). During a bus outage
 * (beginOutage, after a publish failed) everything captured in the last `outageMs` (capture time) is
 * kept, up to `maxBytes`; older frames are dropped, oldest first, and counted. Publishing drains what was
 * kept, in capture order, once the bus is back, and endOutage() returns to the normal bound.
 */

/** What the buffer needs to know of an item. */
export interface CapturedItem {
  /** Capture time, ms since the epoch. */
  capturedAtMs: number;
  /** Size held in memory. */
  bytes: number;
}

export interface CaptureBufferOptions {
  /** Items kept normally; the oldest beyond are dropped (≥ 1). */
  liveItems: number;
  /** During an outage: items captured within this long of the newest are kept too, ms (≥ 0). */
  outageMs: number;
  /** During an outage: at most this many bytes in all (the normal items are always kept) (≥ 0). */
  maxBytes: number;
}

export class CaptureBuffer<T extends CapturedItem> {
  readonly #options: CaptureBufferOptions;
  #items: T[] = [];
  #bytes = 0;
  #outage = false;
  #outageDropped = 0;
  #dropped = 0;
  #waiters: ((item: T | undefined) => void)[] = [];
  #spaceWaiters: (() => void)[] = [];
  #closed = false;

  constructor(options: CaptureBufferOptions) {
    const { liveItems, outageMs, maxBytes } = options;
    if (!(Number.isInteger(liveItems) && liveItems >= 1)) {
      throw new RangeError(`liveItems must be an integer ≥ 1, got ${liveItems}`);
    }
    if (!(Number.isFinite(outageMs) && outageMs >= 0)) {
      throw new RangeError(`outageMs must be a number ≥ 0, got ${outageMs}`);
    }
    if (!(Number.isFinite(maxBytes) && maxBytes >= 0)) {
      throw new RangeError(`maxBytes must be a number ≥ 0, got ${maxBytes}`);
    }
    this.#options = { ...options };
  }

  get size(): number {
    return this.#items.length;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Whether the buffer keeps frames for a bus outage (from beginOutage to endOutage). */
  get inOutage(): boolean {
    return this.#outage;
  }

  /** Items dropped since the current (or last) outage began. */
  get outageDropped(): number {
    return this.#outageDropped;
  }

  /** Items dropped in all. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Adds an item (or hands it to a waiting take); returns the items dropped to keep within the bound. */
  push(item: T): T[] {
    if (this.#closed) throw new Error("capture buffer is closed");
    const waiter = this.#waiters.shift();
    if (waiter) {
      waiter(item);
      return [];
    }
    this.#items.push(item);
    this.#bytes += item.bytes;
    return this.#trim();
  }

  /**
   * Adds an item once there are fewer than liveItems (nothing is dropped, outage or not): for producers that
   * can wait, such as a file read faster than real time. Resolves false when the buffer was closed instead.
   */
  async pushWhenRoom(item: T): Promise<boolean> {
    while (!this.#closed && this.#items.length >= this.#options.liveItems) {
      await new Promise<void>((resolve) => this.#spaceWaiters.push(resolve));
    }
    if (this.#closed) return false;
    this.push(item);
    return true;
  }

  /** The oldest item, waiting for one; undefined once the buffer is closed and empty. */
  async take(): Promise<T | undefined> {
    const item = this.#items.shift();
    if (item !== undefined) {
      this.#bytes -= item.bytes;
      this.#spaceWaiters.shift()?.();
      return item;
    }
    if (this.#closed) return undefined;
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /**
   * Puts back an item taken but not published, at the head (it is the oldest); returns the items dropped
   * to keep within the bound (possibly this one, if it is too old).
   */
  putBack(item: T): T[] {
    this.#items.unshift(item);
    this.#bytes += item.bytes;
    return this.#trim();
  }

  /** The bus is down: keep frames up to the outage bound. Returns true when this starts an outage. */
  beginOutage(): boolean {
    if (this.#outage) return false;
    this.#outage = true;
    this.#outageDropped = 0;
    return true;
  }

  /** The bus is back and what was kept went out: the normal bound again (dropping beyond it). */
  endOutage(): T[] {
    this.#outage = false;
    return this.#trim();
  }

  /** No more items: take() gives what is left, then undefined. */
  close(): void {
    this.#closed = true;
    for (const w of this.#waiters.splice(0)) w(undefined);
    for (const w of this.#spaceWaiters.splice(0)) w();
  }

  #trim(): T[] {
    const dropped: T[] = [];
    const { liveItems, outageMs, maxBytes } = this.#options;
    const newest = this.#items.at(-1)?.capturedAtMs ?? 0;
    while (this.#items.length > liveItems) {
      const oldest = this.#items[0] as T;
      const keep = this.#outage && newest - oldest.capturedAtMs <= outageMs && this.#bytes <= maxBytes;
      if (keep) break;
      this.#items.shift();
      this.#bytes -= oldest.bytes;
      dropped.push(oldest);
    }
    this.#dropped += dropped.length;
    if (this.#outage) this.#outageDropped += dropped.length;
    return dropped;
  }
}
