/**
 * A bound on guessing the token of the page: per client address, at most `maxFailures` wrong tokens
 * (login form, bearer header, cookie or ?token=) within `windowMs`; beyond that the address is refused
 * with 429 and Retry-After until the oldest failure leaves the window, even with the right token.
 */

/** Wrong tokens allowed per address and window: 5 a minute. */
export const LOGIN_MAX_FAILURES = 5;
export const LOGIN_WINDOW_MS = 60_000;

/** The addresses remembered at most; the ones without a failure in the window are forgotten first. */
const MAX_ADDRESSES = 10_000;

export interface LoginRateLimitOptions {
  maxFailures?: number;
  windowMs?: number;
  /** The clock (ms); Date.now by default. */
  now?: () => number;
}

/** Failures of each client address within the window, and whether it is refused now. */
export class LoginRateLimit {
  readonly maxFailures: number;
  readonly windowMs: number;
  readonly #now: () => number;
  readonly #failures = new Map<string, number[]>();

  constructor(options: LoginRateLimitOptions = {}) {
    this.maxFailures = options.maxFailures ?? LOGIN_MAX_FAILURES;
    this.windowMs = options.windowMs ?? LOGIN_WINDOW_MS;
    this.#now = options.now ?? Date.now;
  }

  /** The failures of `address` still in the window (older ones dropped). */
  #recent(address: string): number[] {
    const since = this.#now() - this.windowMs;
    const times = (this.#failures.get(address) ?? []).filter((t) => t > since);
    if (times.length > 0) this.#failures.set(address, times);
    else this.#failures.delete(address);
    return times;
  }

  /** Seconds until `address` may try again (for Retry-After), or undefined when it may now. */
  retryAfterS(address: string): number | undefined {
    const times = this.#recent(address);
    if (times.length < this.maxFailures) return undefined;
    const oldest = times[times.length - this.maxFailures] as number;
    return Math.max(1, Math.ceil((oldest + this.windowMs - this.#now()) / 1000));
  }

  /** Counts a wrong token from `address`. */
  recordFailure(address: string): void {
    const times = this.#recent(address);
    times.push(this.#now());
    this.#failures.set(address, times);
    if (this.#failures.size > MAX_ADDRESSES) {
      for (const key of this.#failures.keys()) {
        this.#recent(key);
        if (this.#failures.size <= MAX_ADDRESSES) break;
      }
      // Still full (all in the window): forget the oldest-inserted address.
      if (this.#failures.size > MAX_ADDRESSES) {
        const first = this.#failures.keys().next().value;
        if (first !== undefined && first !== address) this.#failures.delete(first);
      }
    }
  }
}
