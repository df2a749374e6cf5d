/** Reconnect delays of live sources: exponential backoff (@facetracker/infra) doubling from the initial delay. */

import { backoffDelayMs } from "@facetracker/infra";

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
  return backoffDelayMs(attempt, { initialMs: options.initialDelayMs, maxMs: options.maxDelayMs, factor: 2 });
}
