/**
 * The health of one camera as its feed sees it, and how long to wait before trying it again: a small
 * state machine with no I/O (CameraFeed drives it, tests drive it by hand).
 *
 *   connecting ──frame──▶ up ──fault──▶ reconnecting ──frame──▶ up
 *        └──────fault──────────────────────▲   └─fault (backoff grows: 1, 2, 4 … 30 s)
 *   ended (a file read once reached its end) and failed (given up) are final.
 */

import { backoffDelayMs } from "@facetracker/infra";

export type CameraState = "connecting" | "up" | "reconnecting" | "ended" | "failed";

export interface CameraHealthSnapshot {
  state: CameraState;
  /** Since when the camera is in this state, ms since the epoch ("reconnecting": since it went down). */
  sinceMs: number;
  /** The last error (credentials masked by whoever reports it); "" when it never failed. */
  lastError: string;
  /** Reconnect attempts made (failed or not) since the camera was started. */
  reconnects: number;
  /** Faults in a row since the camera was last up (0 while up): what the next delay grows with. */
  failures: number;
}

/** Delays between attempts: initialMs doubling up to maxMs. */
export interface CameraBackoff {
  initialMs: number;
  maxMs: number;
}

/** 1 s, 2 s, 4 s … at most 30 s. */
export const DEFAULT_CAMERA_BACKOFF: Readonly<CameraBackoff> = { initialMs: 1000, maxMs: 30_000 };

/** Throws naming the bad field unless initialMs > 0 and maxMs ≥ initialMs (both finite). */
export function checkCameraBackoff(backoff: CameraBackoff): void {
  const { initialMs, maxMs } = backoff;
  if (!(Number.isFinite(initialMs) && initialMs > 0)) {
    throw new RangeError(`backoff initialMs must be a finite number > 0, got ${initialMs}`);
  }
  if (!(Number.isFinite(maxMs) && maxMs >= initialMs)) {
    throw new RangeError(`backoff maxMs must be a finite number ≥ initialMs (${initialMs}), got ${maxMs}`);
  }
}

/** The state machine of one camera; every transition returns whether the state (not a counter) changed. */
export class CameraHealth {
  readonly #backoff: CameraBackoff;
  #snapshot: CameraHealthSnapshot;

  constructor(startedAtMs: number, backoff: CameraBackoff = DEFAULT_CAMERA_BACKOFF) {
    checkCameraBackoff(backoff);
    this.#backoff = { ...backoff };
    this.#snapshot = { state: "connecting", sinceMs: startedAtMs, lastError: "", reconnects: 0, failures: 0 };
  }

  get snapshot(): Readonly<CameraHealthSnapshot> {
    return { ...this.#snapshot };
  }

  /** Neither ended nor failed: the camera is (still) wanted. */
  get active(): boolean {
    return this.#snapshot.state !== "ended" && this.#snapshot.state !== "failed";
  }

  /** A frame came: the camera is up (the backoff starts again from its first delay next time). */
  frame(nowMs: number): boolean {
    if (!this.active || this.#snapshot.state === "up") return false;
    this.#snapshot = { ...this.#snapshot, state: "up", sinceMs: nowMs, failures: 0 };
    return true;
  }

  /**
   * The camera could not be opened, dropped, stalled or disappeared: it is reconnecting, down since it
   * was last up (or since it was started, when it never was). Returns the delay before the next attempt:
   * initialMs × 2^(faults in a row − 1), at most maxMs.
   */
  fault(error: string, nowMs: number): number {
    if (!this.active) throw new Error(`camera health: fault after the camera ${this.#snapshot.state}`);
    const s = this.#snapshot;
    const failures = s.failures + 1;
    this.#snapshot = {
      ...s,
      state: "reconnecting",
      sinceMs: s.state === "up" ? nowMs : s.sinceMs,
      lastError: error,
      failures,
    };
    return backoffDelayMs(failures, {
      initialMs: this.#backoff.initialMs,
      maxMs: this.#backoff.maxMs,
      factor: 2,
    });
  }

  /** A reconnect attempt starts (counted). */
  retry(): void {
    this.#snapshot = { ...this.#snapshot, reconnects: this.#snapshot.reconnects + 1 };
  }

  /** A file read once reached its end. */
  ended(nowMs: number): boolean {
    return this.#final("ended", nowMs);
  }

  /** Given up for good (a file read once that cannot be read, an invalid setting). */
  failed(error: string, nowMs: number): boolean {
    this.#snapshot = { ...this.#snapshot, lastError: error };
    return this.#final("failed", nowMs);
  }

  #final(state: "ended" | "failed", nowMs: number): boolean {
    if (!this.active) return false;
    this.#snapshot = { ...this.#snapshot, state, sinceMs: nowMs };
    return true;
  }
}
