/**
 * Pairs a camera's JPEG frames (FT_FRAMES) with the track snapshot of the same frame (FT_SNAPSHOTS, a few
 * hundred ms later: detection and tracking run in between) for the live view, with the shared
 * FrameSnapshotPairer of @facetracker/pipeline and the page's policy (LIVE_VIEW_PAIRING). It never falls
 * behind: frames older than the newest snapshot are dropped, at most `maxFps` pairs per second go out (the
 * others are dropped), and the buffer of frames waiting for their snapshot is bounded. While no snapshot has
 * come for `trackingTimeoutMs` (tracking stopped, or not running), frames go out without tracks.
 */

import { FrameSnapshotPairer, type PairedFrame, type PairingPolicy } from "@facetracker/pipeline";
import type { Frame, TrackSnapshot } from "@facetracker/proto";

/** A camera frame as the live view pairs it: the message, with its capture time as timeMs. */
export type LiveFrame = Frame & { timeMs: number };

/** A frame ready for the browser: the JPEG and the tracks on it (snapshot null: no tracking data for it). */
export type LivePair = PairedFrame<LiveFrame, TrackSnapshot>;

export interface FramePairerOptions {
  /** Pairs sent per second at most. */
  maxFps: number;
  /** Frames kept while waiting for their snapshot, at most (the oldest go first). */
  maxWaiting?: number;
  /** Without a snapshot for this long, frames are sent without tracks, ms. */
  trackingTimeoutMs?: number;
}

/**
 * The live view's pairing policy: a frame waits for its own snapshot until a later one came (then it is
 * dropped), at most 90 frames wait, the last 30 snapshots are kept (those that came before their frame),
 * and while no snapshot came for 2 s frames do not wait.
 */
export const LIVE_VIEW_PAIRING = {
  fallback: "none",
  maxPending: 90,
  keepSnapshots: 30,
  idleAfterMs: 2000,
} as const satisfies PairingPolicy;

/** The live view's pairer: the pairing itself, then what goes out (the rate, never back, bare while idle). */
export class FramePairer {
  readonly #minIntervalMs: number;
  readonly #maxWaiting: number;
  readonly #pairer: FrameSnapshotPairer<LiveFrame, TrackSnapshot>;
  #lastFrameSeq = 0;
  #lastSnapshotSeq = 0;
  #lastSentSeq = 0;
  #lastSentAt = Number.NEGATIVE_INFINITY;
  /** Counters, for logs and tests. */
  readonly counters = { frames: 0, snapshots: 0, sent: 0, dropped: 0 };

  constructor(options: FramePairerOptions) {
    if (!(options.maxFps > 0)) throw new Error(`FramePairer: maxFps must be positive, got ${options.maxFps}`);
    this.#minIntervalMs = 1000 / options.maxFps;
    this.#maxWaiting = options.maxWaiting ?? LIVE_VIEW_PAIRING.maxPending;
    this.#pairer = new FrameSnapshotPairer({
      ...LIVE_VIEW_PAIRING,
      maxPending: this.#maxWaiting,
      idleAfterMs: options.trackingTimeoutMs ?? LIVE_VIEW_PAIRING.idleAfterMs,
    });
  }

  /** Whether snapshots are coming (the last one is recent). */
  tracking(now: number): boolean {
    return this.#pairer.tracking(now);
  }

  /** A frame arrived; returns what to send now, if anything. */
  addFrame(frame: Frame, now: number): LivePair | undefined {
    this.counters.frames++;
    if (frame.seq <= this.#lastFrameSeq) this.#reset(); // the camera's ingest restarted: seqs start again
    this.#lastFrameSeq = frame.seq;
    const tracking = this.tracking(now);
    return this.#sendNewest(
      this.#pairer.addFrame({ ...frame, timeMs: frame.capturedAtMs }, now),
      tracking,
      now,
    );
  }

  /** A snapshot arrived; returns what to send now, if anything. */
  addSnapshot(snapshot: TrackSnapshot, now: number): LivePair | undefined {
    this.counters.snapshots++;
    if (snapshot.seq < this.#lastSnapshotSeq && this.#lastSnapshotSeq - snapshot.seq > this.#maxWaiting) {
      this.#reset();
    }
    this.#lastSnapshotSeq = snapshot.seq;
    return this.#sendNewest(this.#pairer.addSnapshot(snapshot, now), true, now);
  }

  /**
   * Of the frames decided at once, sends the newest that may go: one with its snapshot, or (while tracking
   * is idle) one without; the others are dropped (the view never goes back).
   */
  #sendNewest(decided: LivePair[], tracking: boolean, now: number): LivePair | undefined {
    let newest: LivePair | undefined;
    for (const pair of decided) {
      if (pair.snapshot === null && tracking) {
        this.counters.dropped++; // its snapshot was passed: it would be late
        continue;
      }
      if (newest) this.counters.dropped++;
      newest = pair;
    }
    return newest && this.#send(newest, now);
  }

  #send(pair: LivePair, now: number): LivePair | undefined {
    if (pair.frame.seq <= this.#lastSentSeq || now - this.#lastSentAt < this.#minIntervalMs) {
      this.counters.dropped++;
      return undefined;
    }
    this.#lastSentSeq = pair.frame.seq;
    this.#lastSentAt = now;
    this.counters.sent++;
    return pair;
  }

  #reset(): void {
    this.#pairer.reset();
    this.#lastFrameSeq = 0;
    this.#lastSnapshotSeq = 0;
    this.#lastSentSeq = 0;
  }
}
