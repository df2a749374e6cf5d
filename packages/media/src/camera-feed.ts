/**
 * A camera that heals: the JPEG frames of a video source for as long as it is wanted, whatever happens to
 * the source. A live source (RTSP, HTTP, device) or a looped file that cannot be opened, drops, stalls (no
 * frame for stallTimeoutMs) or disappears is opened again after a delay growing 1, 2, 4 … 30 s
 * (CameraHealth), for ever, and its frames go on with the same index and one pts timeline. A file read
 * once (not looped) ends at its end, and fails for good when it cannot be read. Every change of the
 * camera's health (state, attempt, error) goes to onStatus.
 */

import { abortableSleep } from "@facetracker/infra";
import { type CameraBackoff, CameraHealth, type CameraHealthSnapshot } from "./camera-health.ts";
import { MediaError } from "./errors.ts";
import { isLiveSource, maskCredentials, parseVideoSource } from "./source-spec.ts";
import { type VideoFrame, VideoSource } from "./video-source.ts";

/** Time without a frame after which a healing source is given up and opened again, unless configured. */
export const DEFAULT_STALL_TIMEOUT_MS = 10_000;

export interface CameraFeedOptions {
  /** Play a file over and over at its own rate, like a live camera (default false: read it once, fast). */
  loop?: boolean;
  /** Constant output frame rate (frames dropped or duplicated). */
  fps?: number;
  /** Output frame size, scaled. */
  resolution?: { width: number; height: number };
  /** JPEG quality 1-100 (default: VideoSource's). */
  jpegQuality?: number;
  /** Network open / read timeout in seconds (default: VideoSource's, 10). */
  timeoutS?: number;
  /** Delays between attempts (default 1 s doubling up to 30 s). */
  backoff?: CameraBackoff;
  /** A healing source with no frame for this long is closed and opened again, ms (default 10 000). */
  stallTimeoutMs?: number;
  /** Every change of the camera's health: state, error, attempt. */
  onStatus?: (status: CameraHealthSnapshot) => void;
  /** The wall clock, ms (tests). */
  now?: () => number;
}

/** A MediaError's message, minus VideoSource's note that it does not reconnect itself (the feed does). */
function faultText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return maskCredentials(message.replace(/, reconnection disabled:/, ":"));
}

/** The frames of one camera, healed when it fails (see the module comment). */
export class CameraFeed {
  /** Live sources and looped files are retried for ever; a file read once is not. */
  readonly healing: boolean;
  readonly health: CameraHealth;
  readonly #spec: string | number;
  readonly #options: CameraFeedOptions;
  readonly #stallMs: number;
  readonly #now: () => number;
  readonly #stop = new AbortController();
  #source: VideoSource<"jpeg"> | undefined;
  #iterated = false;

  /** Throws MediaError INVALID_ARGUMENT for a source specification that cannot name a source. */
  constructor(spec: string | number, options: CameraFeedOptions = {}) {
    const { kind } = parseVideoSource(spec);
    this.#spec = spec;
    this.#options = options;
    this.healing = isLiveSource(kind) || options.loop === true;
    this.#now = options.now ?? Date.now;
    this.health = new CameraHealth(this.#now(), options.backoff);
    this.#stallMs = options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
    if (!(Number.isFinite(this.#stallMs) && this.#stallMs > 0)) {
      throw new MediaError("INVALID_ARGUMENT", `stallTimeoutMs must be a number > 0, got ${this.#stallMs}`);
    }
  }

  /** The frames, once per feed; ends when the feed is closed, a file read once ended, or it failed. */
  frames(): AsyncGenerator<VideoFrame<"jpeg">> {
    if (this.#iterated)
      throw new MediaError("INVALID_ARGUMENT", "frames() of a camera feed was already called");
    this.#iterated = true;
    return this.#run();
  }

  /** Stops the source and any wait between attempts; frames() ends. Idempotent. */
  async close(): Promise<void> {
    this.#stop.abort();
    await this.#source?.close();
  }

  #report(): void {
    this.#options.onStatus?.(this.health.snapshot);
  }

  async *#run(): AsyncGenerator<VideoFrame<"jpeg">> {
    const o = this.#options;
    const signal = this.#stop.signal;
    let index = 0;
    /** Timeline time of the last frame, and when it came (wall clock). */
    let lastPts: number | undefined;
    let lastFrameMs = 0;
    let afterFault = false;
    while (!signal.aborted) {
      let fault: string | undefined;
      let source: VideoSource<"jpeg"> | undefined;
      let received = 0;
      try {
        source = await VideoSource.open(this.#spec, {
          output: "jpeg",
          ...(o.jpegQuality === undefined ? {} : { jpegQuality: o.jpegQuality }),
          ...(o.fps === undefined ? {} : { fps: o.fps }),
          ...(o.resolution === undefined ? {} : { resolution: o.resolution }),
          ...(o.timeoutS === undefined ? {} : { timeoutS: o.timeoutS }),
          realtime: o.loop === true,
          // One place reconnects (here), with one backoff and one state.
          reconnect: { maxAttempts: 0 },
        });
        this.#source = source;
        if (signal.aborted) return;
        const frameS = 1 / (source.info.fps || 25);
        const frames = source.frames();
        /** Added to this run's pts to continue the timeline. */
        let offset: number | undefined;
        for (;;) {
          let stalled = false;
          const opened = source;
          const timer = this.healing
            ? setTimeout(() => {
                stalled = true;
                void opened.close();
              }, this.#stallMs)
            : undefined;
          let next: IteratorResult<VideoFrame<"jpeg">>;
          try {
            next = await frames.next();
          } finally {
            clearTimeout(timer);
          }
          if (stalled) {
            fault = `no frame for ${this.#stallMs / 1000} s`;
            break;
          }
          if (next.done || signal.aborted) break;
          const nowMs = this.#now();
          if (offset === undefined) {
            const gapS = afterFault ? Math.max(frameS, (nowMs - lastFrameMs) / 1000) : frameS;
            offset = lastPts === undefined ? -next.value.pts : lastPts + gapS - next.value.pts;
          }
          lastPts = next.value.pts + offset;
          lastFrameMs = nowMs;
          afterFault = false;
          received++;
          if (this.health.frame(nowMs)) this.#report();
          yield { ...next.value, index: index++, pts: lastPts };
        }
      } catch (error) {
        if (signal.aborted) return;
        const final = !this.healing || (error instanceof MediaError && error.code === "INVALID_ARGUMENT");
        if (final) {
          this.health.failed(faultText(error), this.#now());
          this.#report();
          return;
        }
        fault = faultText(error);
      } finally {
        await source?.close();
        this.#source = undefined;
      }
      if (signal.aborted) return;
      if (fault === undefined) {
        if (!this.healing) {
          this.health.ended(this.#now());
          this.#report();
          return;
        }
        // A looped file plays again at once (unless it had no frame); a live stream that ended is lost.
        const file = !isLiveSource(parseVideoSource(this.#spec).kind);
        if (file && received > 0) continue;
        fault = file ? "the file has no frame" : "stream ended";
      }
      afterFault = true;
      const delayMs = this.health.fault(fault, this.#now());
      this.#report();
      if (!(await abortableSleep(delayMs, signal))) return;
      this.health.retry();
      this.#report();
    }
  }
}
