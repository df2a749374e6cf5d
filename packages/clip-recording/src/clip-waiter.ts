/**
 * Matches alerts with their clips: a notification waits (bounded) for the clip of its alert so the message
 * can carry the clip's URL (or whatever `T` the clips are told as: a URL by default, the alert service's
 * key and URL). Clips that arrive before anyone waits are remembered for a while.
 */
export class ClipWaiter<T = string> {
  readonly #known = new Map<string, { url: T; at: number }>();
  readonly #waiting = new Map<string, ((url: T | undefined) => void)[]>();
  readonly #keepMs: number;
  #cancelled = false;

  constructor(options: { keepMs?: number } = {}) {
    this.#keepMs = options.keepMs ?? 10 * 60_000;
  }

  /** A clip is ready for these alerts. */
  ready(alertIds: readonly string[], url: T, now = Date.now()): void {
    for (const id of alertIds) {
      this.#known.set(id, { url, at: now });
      for (const resolve of this.#waiting.get(id) ?? []) resolve(url);
      this.#waiting.delete(id);
    }
    for (const [id, entry] of this.#known) {
      if (now - entry.at <= this.#keepMs) break; // insertion order: the rest are newer
      this.#known.delete(id);
    }
  }

  /** The URL of the alert's clip, waiting up to `timeoutMs` for it; undefined when it did not come. */
  wait(alertId: string, timeoutMs: number): Promise<T | undefined> {
    const known = this.#known.get(alertId);
    if (known) return Promise.resolve(known.url);
    if (timeoutMs <= 0 || this.#cancelled) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const list = this.#waiting.get(alertId) ?? [];
        list.splice(list.indexOf(done), 1);
        if (list.length === 0) this.#waiting.delete(alertId);
        resolve(undefined);
      }, timeoutMs);
      const done = (url: T | undefined) => {
        clearTimeout(timer);
        resolve(url);
      };
      const list = this.#waiting.get(alertId) ?? [];
      list.push(done);
      this.#waiting.set(alertId, list);
    });
  }

  /** Ends every wait now, and every later one at once (without a clip: undefined): on shutdown. */
  cancelAll(): void {
    this.#cancelled = true;
    for (const [id, list] of this.#waiting) {
      this.#waiting.delete(id);
      for (const resolve of list) resolve(undefined);
    }
  }
}
