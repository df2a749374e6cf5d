/**
 * Caps a stream of frames at a frame rate by dropping frames: a frame is kept when its time reaches the
 * next output slot; slots are 1/maxFps apart, so over any long stretch at most maxFps frames a second are
 * kept, evenly spread (a 25 fps camera capped at 15 keeps 3 frames of 5). A gap in the frames (a pause, a
 * clock jump) starts the slots afresh instead of letting a burst through.
 */
export class FrameRateCap {
  readonly maxFps: number;
  readonly #intervalMs: number;
  #nextSlot: number | undefined;

  constructor(maxFps: number) {
    if (!(Number.isFinite(maxFps) && maxFps > 0)) throw new RangeError(`maxFps must be > 0, got ${maxFps}`);
    this.maxFps = maxFps;
    this.#intervalMs = 1000 / maxFps;
  }

  /** Whether the frame of time `timeMs` (ms, non-decreasing) is kept. */
  admit(timeMs: number): boolean {
    const slot = this.#nextSlot;
    const interval = this.#intervalMs;
    // Slots start afresh at the first frame, after a gap, and when the clock went back.
    if (slot === undefined || timeMs - slot >= interval || slot - timeMs > 2 * interval) {
      this.#nextSlot = timeMs + interval;
      return true;
    }
    // A quarter interval of slack: capture times jitter (a camera at exactly maxFps keeps every frame).
    if (timeMs < slot - interval / 4) return false;
    this.#nextSlot = slot + interval;
    return true;
  }
}
