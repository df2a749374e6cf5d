/**
 * Matches alerts with their clips: a notification waits (bounded) for the clip of its alert so the message
 * can carry the clip's URL. Clips that arrive before anyone waits are remembered for a while.
 */
export class ClipWaiter {
  readonly #known = new Map<string, { url: string; at: number }>();
  readonly #waiting = new Map<string, ((url: string) => void)[]>();
  readonly #keepMs: number;
  #cancelled = false;

  constructor(options: { keepMs?: number } = {}) {
    this.#keepMs = options.keepMs ?? 10 * 60_000;
  }

  /** A clip is ready for these alerts. */
  ready(alertIds: readonly string[], url: string, now = Date.now()): void {
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
  wait(alertId: string, timeoutMs: number): Promise<string | undefined> {
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
      const done = (url: string) => {
        clearTimeout(timer);
        resolve(url);
      };
      const list = this.#waiting.get(alertId) ?? [];
      list.push(done);
      this.#waiting.set(alertId, list);
    });
  }

  /** Ends every wait now, and every later one at once (without a URL): on shutdown. */
  cancelAll(): void {
    this.#cancelled = true;
    for (const [id, list] of this.#waiting) {
      this.#waiting.delete(id);
      for (const resolve of list) resolve("");
    }
  }
}
