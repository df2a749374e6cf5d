/**
 * One camera's restream stage: its frames capped at max_fps, each paired with its track snapshot and drawn,
 * then handed to an output (a LivePublisher of @facetracker/media: ffmpeg to RTSP, or an ffplay window).
 *
 * Never behind live: frames beyond max_fps are dropped as they come, a frame waits for its snapshot at
 * most snapshotWaitMs, and between pairing and the output there is room for one frame: while the output is
 * busy (drawing, encoding, the network), a newer frame takes the waiting one's place.
 */

import type { RgbImage } from "@facetracker/vision";
import { DropOldestQueue } from "./drop-oldest-queue.ts";
import { FrameRateCap } from "./frame-rate-cap.ts";
import { FrameSnapshotPairer, type PairedFrame, type Pairing } from "./frame-snapshot-pairer.ts";
import type { FrameTracks } from "./frame-tracks.ts";
import { drawLiveFrame, LIVE_PAIRING } from "./live-annotator.ts";

/** Where the drawn frames go. */
export interface LiveFrameOutput {
  /** True while the output is down (waiting to restart): a frame now is dropped before it is drawn. */
  readonly down: boolean;
  /** Resolves true once the output took the frame, false when it dropped it; never rejects. */
  write(image: RgbImage): Promise<boolean>;
  /** Finishes the frame being written, then stops (a frame written later is dropped). */
  stop(): Promise<void>;
}

/**
 * Why a frame was dropped: rate_cap (beyond max_fps), publisher_busy (a newer frame took its place),
 * publisher_down (the output is down), undecodable, stopping; not_jpeg is the caller's (frames it cannot
 * hand over).
 */
export type LiveDropReason =
  | "rate_cap"
  | "publisher_busy"
  | "publisher_down"
  | "undecodable"
  | "not_jpeg"
  | "stopping";

/** A camera frame for the live view. */
export interface LiveJpegFrame {
  seq: number;
  /** Capture time, ms since the epoch. */
  timeMs: number;
  jpeg: Uint8Array;
}

export interface LiveRestreamOptions {
  /** Frames per second at most (live_stream.max_fps). */
  maxFps: number;
  /** How long a frame waits for its snapshot, ms. */
  snapshotWaitMs: number;
  output: LiveFrameOutput;
  logger: { warn(msg: string, fields?: Record<string, unknown>): void };
  onDrop?: (reason: LiveDropReason) => void;
  /** How a frame got its snapshot, for each frame whose pairing is decided. */
  onPairing?: (pairing: Pairing) => void;
  /** A frame was handed to the output. */
  onFrameOut?: () => void;
}

/** Takes a camera's frames and snapshots (in their order) and feeds the output with the drawn frames. */
export class LiveRestream {
  readonly #options: LiveRestreamOptions;
  readonly #cap: FrameRateCap;
  readonly #pairer: FrameSnapshotPairer<LiveJpegFrame, FrameTracks>;
  readonly #ready = new DropOldestQueue<PairedFrame<LiveJpegFrame, FrameTracks>>(1);
  readonly #writing: Promise<void>;
  #expiry: NodeJS.Timeout | undefined;
  #stopping = false;

  constructor(options: LiveRestreamOptions) {
    this.#options = options;
    this.#cap = new FrameRateCap(options.maxFps);
    this.#pairer = new FrameSnapshotPairer({ ...LIVE_PAIRING, waitMs: options.snapshotWaitMs });
    this.#writing = (async () => {
      for (;;) {
        const item = await this.#ready.take();
        if (!item) return;
        await this.#publish(item);
      }
    })();
  }

  /** A frame of the camera: kept unless beyond max_fps, then paired with its snapshot. */
  addFrame(frame: LiveJpegFrame): void {
    if (!this.#cap.admit(frame.timeMs)) {
      this.#drop("rate_cap");
      return;
    }
    this.#deliver(this.#pairer.addFrame(frame, Date.now()));
  }

  /** A track snapshot of the camera. */
  addSnapshot(snapshot: FrameTracks): void {
    this.#deliver(this.#pairer.addSnapshot(snapshot));
  }

  /**
   * Stops: no frame is taken any more, `stopIntake` stops the frames and snapshots coming, the frame in
   * hand is finished and the output stopped.
   */
  async stop(stopIntake: () => Promise<void>): Promise<void> {
    this.#stopping = true;
    const outputStopped = this.#options.output.stop();
    await stopIntake();
    clearTimeout(this.#expiry);
    this.#ready.close();
    await this.#writing;
    await outputStopped;
  }

  #drop(reason: LiveDropReason): void {
    this.#options.onDrop?.(reason);
  }

  /** Frames whose pairing is decided go to the one-frame slot; the one they displace is dropped. */
  #deliver(paired: PairedFrame<LiveJpegFrame, FrameTracks>[]): void {
    if (this.#stopping) return;
    for (const p of paired) {
      this.#options.onPairing?.(p.pairing);
      if (this.#ready.push(p) !== undefined) this.#drop("publisher_busy");
    }
    this.#armExpiry();
  }

  /** Wakes up when the oldest waiting frame has waited its time. */
  #armExpiry(): void {
    clearTimeout(this.#expiry);
    this.#expiry = undefined;
    const deadline = this.#pairer.nextDeadline;
    if (deadline === undefined || this.#stopping) return;
    this.#expiry = setTimeout(
      () => this.#deliver(this.#pairer.expire(Date.now())),
      Math.max(0, deadline - Date.now()),
    );
  }

  /** Draws one frame and hands it to the output. Never throws. */
  async #publish(item: PairedFrame<LiveJpegFrame, FrameTracks>): Promise<void> {
    const { output, logger } = this.#options;
    if (output.down) {
      this.#drop("publisher_down");
      return;
    }
    let image: RgbImage;
    try {
      image = await drawLiveFrame(item.frame.jpeg, item.snapshot);
    } catch (error) {
      this.#drop("undecodable");
      logger.warn("frame does not decode: dropped", { seq: item.frame.seq, error: error as Error });
      return;
    }
    if (this.#stopping) {
      this.#drop("stopping");
      return;
    }
    if (await output.write(image)) this.#options.onFrameOut?.();
    else this.#drop("publisher_down");
  }
}
