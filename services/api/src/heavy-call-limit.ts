/**
 * A bound on the heavy gRPC calls (those that decode images or video and run the models) running at once:
 * beyond it a call is refused at once with RESOURCE_EXHAUSTED instead of queueing, so that a burst of
 * uploads cannot take the api's memory with it (api.max_concurrent_heavy_calls).
 */

import { status } from "@grpc/grpc-js";
import { grpcError } from "./grpc-errors.ts";

/** Runs heavy calls, at most `max` at once; `run` throws RESOURCE_EXHAUSTED beyond that. */
export class HeavyCallLimit {
  readonly max: number;
  #running = 0;

  constructor(max: number) {
    if (!Number.isInteger(max) || max < 1) throw new Error(`heavy call limit must be ≥ 1, got ${max}`);
    this.max = max;
  }

  /** Calls running now. */
  get running(): number {
    return this.#running;
  }

  /** Runs `fn` in a free slot, or throws RESOURCE_EXHAUSTED (naming the call and the limit) when none is. */
  async run<T>(call: string, fn: () => Promise<T>): Promise<T> {
    if (this.#running >= this.max) {
      throw grpcError(
        status.RESOURCE_EXHAUSTED,
        `${call}: ${this.#running} heavy calls (Enroll, EnrollFace, FindFacesInFile) are already running, the limit is ${this.max} (config key api.max_concurrent_heavy_calls): try again later`,
      );
    }
    this.#running++;
    try {
      return await fn();
    } finally {
      this.#running--;
    }
  }
}
