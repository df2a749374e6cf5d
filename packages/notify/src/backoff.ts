/** Exponential delays between delivery attempts. */

/** Backoff between retries: initialMs × factor^(retry−1), capped at maxMs. */
export interface BackoffOptions {
  /** Delay before the first retry, ms. */
  initialMs: number;
  /** Upper bound of a delay, ms. */
  maxMs: number;
  /** Growth per retry (≥ 1). */
  factor: number;
}

/** 1 s, doubling, at most 30 s. */
export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = { initialMs: 1000, maxMs: 30_000, factor: 2 };

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
