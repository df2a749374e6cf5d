/**
 * Pairs a camera's JPEG frames (FT_FRAMES) with the track snapshot of the same frame (FT_SNAPSHOTS, a few
 * hundred ms later: detection and tracking run in between) for the live view. It never falls behind:
 * frames older than the newest snapshot are dropped, at most `maxFps` pairs per second go out (the others
 * are dropped), and the buffer of frames waiting for their snapshot is bounded. While no snapshot has come
 * for `trackingTimeoutMs` (tracking stopped, or not running), frames go out without tracks.
 */

import type { Frame, TrackSnapshot } from "@facetracker/proto";

/** A frame ready for the browser: the JPEG and the tracks on it (null: no tracking data for it). */
export interface PairedFrame {
  frame: Frame;
  snapshot: TrackSnapshot | null;
}

export interface FramePairerOptions {
  /** Pairs sent per second at most. */
  maxFps: number;
  /** Frames kept while waiting for their snapshot, at most (the oldest go first). */
  maxWaiting?: number;
  /** Without a snapshot for this long, frames are sent without tracks, ms. */
  trackingTimeoutMs?: number;
}

const DEFAULT_MAX_WAITING = 90;
const DEFAULT_TRACKING_TIMEOUT_MS = 2000;
/** Snapshots kept whose frame has not come yet (frames and snapshots come from two consumers). */
const MAX_EARLY_SNAPSHOTS = 30;

export class FramePairer {
  readonly #minIntervalMs: number;
  readonly #maxWaiting: number;
  readonly #trackingTimeoutMs: number;
  /** Frames waiting for their snapshot, by seq, in arrival (= seq) order. */
  readonly #frames = new Map<number, Frame>();
  /** Snapshots that came before their frame, by seq. */
  readonly #early = new Map<number, TrackSnapshot>();
  #lastFrameSeq = 0;
  #lastSnapshotSeq = 0;
  #lastSnapshotAt = Number.NEGATIVE_INFINITY;
  #lastSentSeq = 0;
  #lastSentAt = Number.NEGATIVE_INFINITY;
  /** Counters, for logs and tests. */
  readonly counters = { frames: 0, snapshots: 0, sent: 0, dropped: 0 };

  constructor(options: FramePairerOptions) {
    if (!(options.maxFps > 0)) throw new Error(`FramePairer: maxFps must be positive, got ${options.maxFps}`);
    this.#minIntervalMs = 1000 / options.maxFps;
    this.#maxWaiting = options.maxWaiting ?? DEFAULT_MAX_WAITING;
    this.#trackingTimeoutMs = options.trackingTimeoutMs ?? DEFAULT_TRACKING_TIMEOUT_MS;
  }

  /** Whether snapshots are coming (the last one is recent). */
  tracking(now: number): boolean {
    return now - this.#lastSnapshotAt < this.#trackingTimeoutMs;
  }

  /** A frame arrived; returns what to send now, if anything. */
  addFrame(frame: Frame, now: number): PairedFrame | undefined {
    this.counters.frames++;
    if (frame.seq <= this.#lastFrameSeq) this.#reset(); // the camera's ingest restarted: seqs start again
    this.#lastFrameSeq = frame.seq;
    const early = this.#early.get(frame.seq);
    if (early) {
      this.#early.delete(frame.seq);
      return this.#send({ frame, snapshot: early }, now);
    }
    if (!this.tracking(now)) return this.#send({ frame, snapshot: null }, now);
    this.#frames.set(frame.seq, frame);
    while (this.#frames.size > this.#maxWaiting) {
      const oldest = this.#frames.keys().next().value as number;
      this.#frames.delete(oldest);
      this.counters.dropped++;
    }
    return undefined;
  }

  /** A snapshot arrived; returns what to send now, if anything. */
  addSnapshot(snapshot: TrackSnapshot, now: number): PairedFrame | undefined {
    this.counters.snapshots++;
    if (snapshot.seq < this.#lastSnapshotSeq && this.#lastSnapshotSeq - snapshot.seq > this.#maxWaiting) {
      this.#reset();
    }
    this.#lastSnapshotSeq = snapshot.seq;
    this.#lastSnapshotAt = now;
    // Frames older than this snapshot will not get theirs in time: the view never goes backwards.
    for (const seq of this.#frames.keys()) {
      if (seq >= snapshot.seq) break;
      this.#frames.delete(seq);
      this.counters.dropped++;
    }
    const frame = this.#frames.get(snapshot.seq);
    if (frame) {
      this.#frames.delete(snapshot.seq);
      return this.#send({ frame, snapshot }, now);
    }
    if (snapshot.seq > this.#lastFrameSeq) {
      this.#early.set(snapshot.seq, snapshot);
      while (this.#early.size > MAX_EARLY_SNAPSHOTS) {
        this.#early.delete(this.#early.keys().next().value as number);
      }
    }
    return undefined;
  }

  #send(pair: PairedFrame, now: number): PairedFrame | undefined {
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
    this.#frames.clear();
    this.#early.clear();
    this.#lastFrameSeq = 0;
    this.#lastSnapshotSeq = 0;
    this.#lastSentSeq = 0;
  }
}
