/**
 * A camera's live publisher: ffmpeg encoding RGB24 frames to H.264 and publishing them over RTSP (WEB), or
 * an ffplay window (LOCAL). Started at the first frame's size, restarted when the size changes, restarted
 * with backoff whenever it ends unexpectedly (the RTSP server went away), stopped when no frame came for a
 * while. It never queues: a frame that comes while it is down is dropped, and a publisher that takes no
 * frame for writeTimeoutMs is killed and restarted.
 */

import { backoffDelayMs } from "@facetracker/infra";
import type { ExitStatus } from "./child-process-guard.ts";
import { ffplayArgs, type RawVideoFormat, type RtspTransport, rtspPublishArgs } from "./ffmpeg-args.ts";
import { LiveSink } from "./live-sink.ts";
import { RtspAuthRelay, type RtspCredentials } from "./rtsp-auth-relay.ts";

/**
 * Where the frames go: published over RTSP (WEB) or shown in an ffplay window (LOCAL). With credentials,
 * ffmpeg publishes through an RtspAuthRelay that adds them (never on its command line; TCP only).
 */
export type LiveDestination =
  | { mode: "WEB"; url: string; rtspTransport: RtspTransport; credentials?: RtspCredentials }
  | { mode: "LOCAL"; title: string };

/** What the publisher logs through (a service logger fits). */
export interface LivePublisherLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
}

export interface LivePublisherOptions {
  destination: LiveDestination;
  /** Nominal frame rate (the restream's max_fps): the GOP length; timestamps are the frames' arrival. */
  fps: number;
  /** Delay before restarting an ended publisher: initialMs, doubling up to maxMs. */
  retry: { initialMs: number; maxMs: number };
  /** A publisher that takes no frame for this long is stalled: killed and restarted, ms. */
  writeTimeoutMs: number;
  /** A publisher fed no frame for this long is stopped (the camera stopped); the next frame starts one, ms. */
  idleStopMs: number;
  /** Default "ffmpeg". */
  ffmpegPath?: string;
  /** Default "ffplay". */
  ffplayPath?: string;
  logger: LivePublisherLogger;
  /** Called with true when a publisher process starts, false when the running one ends. */
  onRunning?: (running: boolean) => void;
  /** Called when a publisher ended unexpectedly (before its restart is scheduled). */
  onRestart?: () => void;
}

/** A publisher that ran this long before it ended was healthy: its restart starts the backoff afresh, ms. */
const HEALTHY_RUN_MS = 10_000;

/** A frame for the publisher: RGB24 pixels of its size. */
export interface LiveImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/**
 * Feeds one destination's publisher process, starting and restarting it as needed. Call write() one frame
 * at a time.
 */
export class LivePublisher {
  readonly #options: LivePublisherOptions;
  readonly #idleCheck: NodeJS.Timeout;
  #sink: LiveSink | undefined;
  #starting: Promise<LiveSink | undefined> | undefined;
  #failures = 0;
  #retryAt = 0;
  #lastProblem = "";
  #lastWriteAt = 0;
  #writing: Promise<boolean> = Promise.resolve(true);
  #stopping = false;
  /** The relay each publisher with credentials goes through (to say why the server refused it). */
  readonly #relays = new WeakMap<LiveSink, RtspAuthRelay>();

  constructor(options: LivePublisherOptions) {
    this.#options = options;
    /** Stops a publisher nothing was written to for idleStopMs (the camera stopped sending). */
    this.#idleCheck = setInterval(() => {
      const sink = this.#sink;
      if (sink && !sink.stopRequested && Date.now() - this.#lastWriteAt > options.idleStopMs) {
        options.logger.info("no frame for a while: publisher stopped", {
          idleMs: Date.now() - this.#lastWriteAt,
        });
        void sink.stop();
      }
    }, 1000);
    this.#idleCheck.unref();
  }

  /** True while an ended publisher waits out its restart delay: a frame now would be dropped. */
  get down(): boolean {
    return Date.now() < this.#retryAt;
  }

  /** Pid of the running publisher (ffmpeg or ffplay), if any. */
  get pid(): number | undefined {
    return this.#sink?.pid;
  }

  /** For /healthz: true, or why the publisher is down. */
  state(): true | string {
    return this.#sink === undefined && this.#failures > 0
      ? `publisher down (${this.#lastProblem}); retrying`
      : true;
  }

  /**
   * Hands one frame to the publisher, started (or restarted at the frame's size) as needed. Resolves true
   * once its pipe took the frame, false when it was dropped (the publisher is down or stopping); never
   * rejects (an ended publisher is restarted after the backoff delay).
   */
  write(image: LiveImage): Promise<boolean> {
    this.#writing = this.#write(image);
    return this.#writing;
  }

  /** Stops: the frame being written is finished, then the publisher is stopped. Idempotent. */
  async stop(): Promise<void> {
    this.#stopping = true;
    clearInterval(this.#idleCheck);
    await this.#writing;
    await this.#starting;
    await this.#sink?.stop();
  }

  async #write(image: LiveImage): Promise<boolean> {
    if (this.#stopping) return false;
    const { logger } = this.#options;
    let current = this.#sink;
    if (current && (current.format.width !== image.width || current.format.height !== image.height)) {
      logger.info("frame size changed: restarting the publisher", {
        width: image.width,
        height: image.height,
      });
      await current.stop();
      current = undefined;
    }
    if (!current) {
      this.#starting ??= this.#start({ width: image.width, height: image.height, fps: this.#options.fps });
      current = await this.#starting;
      this.#starting = undefined;
      if (!current) return false;
    }
    try {
      await current.write(image.data, this.#options.writeTimeoutMs);
      this.#lastWriteAt = Date.now();
      return true;
    } catch {
      return false; // its exit is handled by #ended()
    }
  }

  /** Starts ffplay, or ffmpeg publishing (through a relay of its own when there are credentials). */
  async #spawn(format: RawVideoFormat): Promise<LiveSink> {
    const { destination } = this.#options;
    if (destination.mode === "LOCAL") {
      return LiveSink.start(
        this.#options.ffplayPath ?? "ffplay",
        ffplayArgs(destination.title, format),
        format,
      );
    }
    const ffmpeg = this.#options.ffmpegPath ?? "ffmpeg";
    if (!destination.credentials) {
      return LiveSink.start(
        ffmpeg,
        rtspPublishArgs(destination.url, format, destination.rtspTransport),
        format,
      );
    }
    if (destination.rtspTransport !== "tcp") {
      throw new Error("publishing with credentials needs RTP over TCP (rtsp_transport tcp)");
    }
    const relay = await RtspAuthRelay.open(destination.url, destination.credentials);
    try {
      const sink = await LiveSink.start(ffmpeg, rtspPublishArgs(relay.url, format, "tcp"), format);
      this.#relays.set(sink, relay);
      void sink.exited.then(() => relay.close());
      return sink;
    } catch (error) {
      await relay.close();
      throw error;
    }
  }

  #start(format: RawVideoFormat): Promise<LiveSink | undefined> {
    const { logger } = this.#options;
    return this.#spawn(format).then(
      (started) => {
        if (this.#stopping) {
          void started.stop();
          return undefined;
        }
        this.#sink = started;
        this.#options.onRunning?.(true);
        logger.info("publisher started", { pid: started.pid, width: format.width, height: format.height });
        void started.exited.then((status) => this.#ended(started, status));
        return started;
      },
      (error: unknown) => {
        this.#scheduleRetry(error instanceof Error ? error.message : String(error));
        return undefined;
      },
    );
  }

  /** A publisher ended: unless it was stopped on purpose, it is restarted after a backoff delay. */
  #ended(which: LiveSink, status: ExitStatus): void {
    if (this.#sink === which) {
      this.#sink = undefined;
      this.#options.onRunning?.(false);
    }
    if (which.stopRequested || this.#stopping) return;
    if (Date.now() - which.startedAt >= HEALTHY_RUN_MS) this.#failures = 0;
    const exit = status.signal ? `killed by ${status.signal}` : `exited with code ${status.code}`;
    this.#options.onRestart?.();
    const name = this.#options.destination.mode === "WEB" ? "ffmpeg" : "ffplay";
    const refused = this.#relays.get(which)?.refused;
    const why = refused ? ` (the RTSP server refused the credentials: ${refused})` : "";
    this.#scheduleRetry(`${name} ${exit}${why}${which.output ? `: ${which.output}` : ""}`);
  }

  #scheduleRetry(problem: string): void {
    this.#failures++;
    const { retry, logger } = this.#options;
    const delay = backoffDelayMs(this.#failures, {
      initialMs: retry.initialMs,
      maxMs: retry.maxMs,
      factor: 2,
    });
    this.#retryAt = Date.now() + delay;
    this.#lastProblem = problem;
    logger.warn("publisher ended: restarting", { problem, attempt: this.#failures, retryInMs: delay });
  }
}
