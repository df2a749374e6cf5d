/** Exponential backoff between retries, and an abortable wait. */

/** Backoff between retries: initialMs × factor^(retry−1), capped at maxMs. */
export interface BackoffOptions {
  /** Delay before the first retry, ms. */
  initialMs: number;
  /** Upper bound of a delay, ms. */
  maxMs: number;
  /** Growth per retry (≥ 1). */
  factor: number;
}

/** Delay before retry number `retry` (1-based). */
export function backoffDelayMs(retry: number, options: BackoffOptions): number {
  const delay = options.initialMs * options.factor ** Math.max(0, retry - 1);
  return Math.min(options.maxMs, delay);
}

/** Throws naming the bad field unless `options` are finite, non-negative and factor ≥ 1. */
export function checkBackoff(options: BackoffOptions): void {
  for (const key of ["initialMs", "maxMs", "factor"] as const) {
    const value = options[key];
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      throw new Error(`backoff.${key} must be a finite number ≥ 0, got ${String(value)}`);
    }
  }
  if (options.factor < 1) throw new Error(`backoff.factor must be ≥ 1, got ${options.factor}`);
}

/** Resolves after `ms` with true, or at once with false when `signal` aborts. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
