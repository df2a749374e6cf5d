import type { TypedBus } from "@facetracker/bus";

/**
 * How far detection may fall behind before ingest drops frames at the source: frames not yet delivered to
 * the detect consumer, per camera. Two frames each keeps latency to a few frame intervals.
 */
const BACKLOG_FRAMES_PER_CAMERA = 3;
/**
 * How often the backlog is read. Frames of several cameras arrive in bursts: a coarse poll keeps a burst's
 * verdict ("lagging") for too long and drops frames detection would have handled (measured: 82 frames
 * dropped in 15 s with 4 cameras at 500 ms, see docs/benchmarks.md).
 */
const BACKLOG_POLL_MS = 100;

/** Watches the detect consumer's backlog of frames (polled every BACKLOG_POLL_MS). */
export class DetectBacklog {
  #pending = 0;
  readonly #timer: NodeJS.Timeout;
  readonly #cameras: () => number;

  constructor(bus: TypedBus, cameras: () => number) {
    this.#cameras = cameras;
    this.#timer = setInterval(() => {
      bus.backlog("frames", "detect").then(
        ({ pending }) => {
          this.#pending = pending;
        },
        () => {
          this.#pending = 0; // no detect consumer yet (or no bus): nothing to measure
        },
      );
    }, BACKLOG_POLL_MS);
    this.#timer.unref();
  }

  lagging(): boolean {
    return this.#pending > Math.max(4, BACKLOG_FRAMES_PER_CAMERA * this.#cameras());
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
