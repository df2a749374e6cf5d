/** Exponential reconnect delays and an abortable wait. */

export interface ReconnectOptions {
  /** Delay before the first reconnect attempt, ms (default 500). */
  initialDelayMs?: number;
  /** Upper bound of the delay, ms (default 10 000). */
  maxDelayMs?: number;
  /** Failed attempts in a row before giving up with UNREACHABLE (default: unlimited). */
  maxAttempts?: number;
}

export const DEFAULT_RECONNECT = { initialDelayMs: 500, maxDelayMs: 10_000, maxAttempts: Infinity } as const;

/** Delay before attempt `attempt` (1-based): initial × 2^(attempt-1), at most maxDelayMs. */
export function reconnectDelayMs(attempt: number, options: Required<ReconnectOptions>): number {
  const delay = options.initialDelayMs * 2 ** Math.max(0, attempt - 1);
  return Math.min(options.maxDelayMs, delay);
}

/** Resolves after `ms`, or false at once when `signal` aborts (true when the time elapsed). */
export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
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
