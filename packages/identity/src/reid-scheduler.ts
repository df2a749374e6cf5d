import { expectIdentityVersion, finite, IDENTITY_SNAPSHOT_VERSION } from "./snapshot.ts";

/**
 * Adaptive re-identification schedule for one track (DeGirum's ReID expiration filter): a new track is
 * embedded at once, then after gaps of 1, 2, 4, 8 … frames, capped at `maxGap` (`reid_expiration_frames`).
 * The gap starts again at 1 when the identity changes, while an unknown identity has not settled yet, or
 * when the face changes a lot (size, sudden jump). A due embedding that a filter prevented stays due.
 */
export interface ReidScheduleOptions {
  /** Largest gap between two embeddings of a track (frames). */
  maxGap: number;
  /** Off: embed on every frame (the schedule is disabled). */
  enabled: boolean;
}

export type ResetReason = "identity_changed" | "unknown" | "face_changed";

/** A schedule's state as plain JSON (its options are not included). */
export interface ReidSchedulerSnapshot {
  v: typeof IDENTITY_SNAPSHOT_VERSION;
  /** Frame of the last embedding; null before the first. */
  lastFrame: number | null;
  gap: number;
  resets: number;
}

export class ReidScheduler {
  readonly #options: ReidScheduleOptions;
  /** Frame of the last embedding; undefined before the first. */
  #lastFrame: number | undefined;
  #gap = 1;
  #resets = 0;

  constructor(options: ReidScheduleOptions) {
    if (!(options.maxGap >= 1)) throw new RangeError(`maxGap must be ≥ 1, got ${options.maxGap}`);
    this.#options = options;
  }

  /** Whether the track should be embedded on `frame`. */
  isDue(frame: number): boolean {
    if (!this.#options.enabled || this.#lastFrame === undefined) return true;
    return frame - this.#lastFrame >= this.#gap;
  }

  /** Frames to wait after the last embedding before the next one. */
  get gap(): number {
    return this.#gap;
  }

  get resets(): number {
    return this.#resets;
  }

  /**
   * Records an embedding on `frame`; `reset` restarts the backoff at a gap of 1; `maxGap` caps the gap
   * below the schedule's own cap (e.g. for a track none of whose faces was good enough yet).
   */
  recordEmbedding(frame: number, reset?: ResetReason, maxGap = this.#options.maxGap): void {
    const first = this.#lastFrame === undefined;
    this.#lastFrame = frame;
    if (reset) {
      this.#gap = 1;
      this.#resets++;
    } else if (!first) {
      this.#gap = Math.min(this.#gap * 2, this.#options.maxGap, maxGap);
    }
  }

  snapshot(): ReidSchedulerSnapshot {
    return {
      v: IDENTITY_SNAPSHOT_VERSION,
      lastFrame: this.#lastFrame ?? null,
      gap: this.#gap,
      resets: this.#resets,
    };
  }

  /** Replaces the state with a snapshot's; throws (changing nothing) for another version or a malformed one. */
  restore(snapshot: ReidSchedulerSnapshot): void {
    const s = expectIdentityVersion("ReidScheduler", snapshot);
    const lastFrame = s.lastFrame === null ? undefined : finite("ReidScheduler.lastFrame", s.lastFrame);
    const gap = finite("ReidScheduler.gap", s.gap);
    const resets = finite("ReidScheduler.resets", s.resets);
    this.#lastFrame = lastFrame;
    this.#gap = gap;
    this.#resets = resets;
  }

  /** Makes the track due at once (e.g. the face changed a lot); the backoff restarts. */
  expire(): void {
    this.#lastFrame = undefined;
    this.#gap = 1;
    this.#resets++;
  }
}

/** A face changed a lot between two observations: size ratio beyond `sizeRatio`, or a jump beyond `jump` × size. */
export function faceChanged(
  previous: readonly [number, number, number, number],
  current: readonly [number, number, number, number],
  sizeRatio = 1.5,
  jump = 0.75,
): boolean {
  const pw = previous[2] - previous[0];
  const cw = current[2] - current[0];
  if (pw <= 0 || cw <= 0) return true;
  const ratio = cw > pw ? cw / pw : pw / cw;
  const dx = (current[0] + current[2]) / 2 - (previous[0] + previous[2]) / 2;
  const dy = (current[1] + current[3]) / 2 - (previous[1] + previous[3]) / 2;
  return ratio > sizeRatio || Math.hypot(dx, dy) > jump * Math.max(pw, cw);
}
