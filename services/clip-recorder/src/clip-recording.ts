import { randomBytes } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Bus, consumeMessages, ensureStreams, type MessageConsumer, subject } from "@facetracker/bus";
import { CLIP_SUFFIXES, type ClipOutboxFileInput } from "@facetracker/clips";
import {
  buildClipResults,
  type ClipCloseReason,
  type ClipPlanner,
  type ClipResults,
  type PlannedClip,
} from "@facetracker/pipeline";
import { Frame, TrackSnapshot } from "@facetracker/proto";
import type { Logger, ServiceMetrics } from "@facetracker/service-kit";
import { ClipEncoder } from "./clip-encoder.ts";
import type { ClipMeta } from "./clip-events.ts";
import { SnapshotBook } from "./snapshot-book.ts";

/** Settings of the recordings (from the configuration, with test overrides). */
export interface RecordingSettings {
  /** Write the annotated copy (alerts.clip_annotated). */
  annotated: boolean;
  /** A clip whose camera sends no frame for this long is closed with what it has, ms. */
  stallMs: number;
  /** How long a finished clip waits for the tracking results (snapshots) of its last frames, ms. */
  snapshotWaitMs: number;
}

export interface ClipRecordingOptions {
  bus: Bus;
  planner: ClipPlanner;
  clip: PlannedClip;
  /** The clip's base key (clipKey of its first alert). */
  key: string;
  /** Parent directory of the recording's working directory. */
  workDir: string;
  /** The camera's configured frame rate, if any. */
  configuredFps: number | undefined;
  settings: RecordingSettings;
  logger: Logger;
  metrics: ServiceMetrics;
}

/** A recorded clip ready for the outbox. */
export interface RecordedClip {
  key: string;
  files: ClipOutboxFileInput[];
  meta: ClipMeta;
  results: ClipResults;
}

/** How a recording ended: its files, or why there are none. */
export type RecordingOutcome = { ok: true; clip: RecordedClip } | { ok: false; error: string };

/**
 * The recording of one planned clip: reads the camera's frames from FT_FRAMES (from the oldest the stream
 * still holds: the pre-roll is read back, the post-roll follows live) and its tracking results from
 * FT_SNAPSHOTS, each through its own ordered consumer, encodes the frames of the window as they come, and
 * once the window is over (a frame past it came), the camera stalled, its source restarted, or close() was
 * called, writes the `.json` side file. `done` resolves with the files (or the reason there are none);
 * it never rejects. The working directory is the caller's to remove (`dir`) once the files are spooled.
 */
export class ClipRecording {
  readonly clip: PlannedClip;
  readonly key: string;
  /** Working directory of this recording. */
  readonly dir: string;
  readonly done: Promise<RecordingOutcome>;
  readonly #options: ClipRecordingOptions;
  readonly #book: SnapshotBook;
  readonly #encoder: ClipEncoder;
  #frames: MessageConsumer | undefined;
  #snapshots: MessageConsumer | undefined;
  #lastFrameAt = Date.now();
  #framesSeen = 0;
  #closing = false;
  #closeReason: ClipCloseReason = "window";
  #failure: unknown;
  #stallTimer: NodeJS.Timeout | undefined;
  #started: Promise<void> = Promise.resolve();
  #resolveDone: (outcome: RecordingOutcome) => void = () => {};

  private constructor(options: ClipRecordingOptions) {
    this.#options = options;
    this.clip = options.clip;
    this.key = options.key;
    this.dir = join(options.workDir, `clip-${options.clip.id}-${randomBytes(4).toString("hex")}`);
    this.done = new Promise((resolve) => {
      this.#resolveDone = resolve;
    });
    this.#book = new SnapshotBook(
      this.clip.firstSeq,
      () => this.clip.maxLastSeq,
      () => this.#encoder.snapshotArrived(),
    );
    this.#encoder = new ClipEncoder({
      dir: this.dir,
      configuredFps: options.configuredFps,
      annotated: options.settings.annotated,
      snapshots: this.#book,
      logger: options.logger.child({ camera: this.clip.camera, clip: this.key }),
    });
  }

  /** Starts recording `clip`; the returned recording's `done` says how it ended. */
  static start(options: ClipRecordingOptions): ClipRecording {
    const recording = new ClipRecording(options);
    recording.#started = recording.#begin();
    return recording;
  }

  /** Closes the window now (the service is stopping): the clip keeps the frames it has. */
  close(reason: ClipCloseReason): void {
    if (this.#closing) return;
    this.#closing = true;
    this.#closeReason = reason;
    this.#options.planner.close(this.clip);
    // Not awaited here: stopping the frame consumer waits for its handler, which may be the caller.
    setImmediate(() => void this.#finish());
  }

  /** Opens the consumers (never rejects: a failure closes the recording as failed). */
  async #begin(): Promise<void> {
    const { bus, logger, metrics, settings } = this.#options;
    const camera = this.clip.camera;
    try {
      await mkdir(this.dir, { recursive: true });
      this.#snapshots = await consumeMessages({
        js: bus.js,
        stream: "FT_SNAPSHOTS",
        filterSubject: subject("snapshots", camera),
        type: TrackSnapshot,
        deliverPolicy: "all",
        ensureStream: () => ensureStreams(bus.jsm),
        logger,
        handler: (snapshot) => this.#book.add(snapshot),
      });
      this.#frames = await consumeMessages({
        js: bus.js,
        stream: "FT_FRAMES",
        filterSubject: subject("frames", camera),
        type: Frame,
        deliverPolicy: "all",
        ensureStream: () => ensureStreams(bus.jsm),
        logger,
        onDeadLetter: () => metrics.messagesDeadLettered.inc({ subject_kind: "frames" }),
        handler: (frame) => this.#onFrame(frame),
      });
    } catch (error) {
      this.#failure = error;
      this.close(this.#closeReason);
      return;
    }
    if (this.#closing) return; // closed while starting: #finish stops the consumers
    this.#lastFrameAt = Date.now();
    this.#stallTimer = setInterval(
      () => {
        if (Date.now() - this.#lastFrameAt > settings.stallMs) this.close("stalled");
      },
      Math.max(50, Math.min(500, settings.stallMs / 4)),
    );
  }

  async #onFrame(frame: Frame): Promise<void> {
    if (this.#closing) return;
    this.#lastFrameAt = Date.now();
    this.#framesSeen++;
    this.#options.metrics.messagesIn.inc({ subject_kind: "frames" });
    const verdict = this.clip.offer({ seq: frame.seq, timeMs: frame.capturedAtMs });
    if (verdict === "complete") {
      this.close(frame.seq > this.clip.lastSeq ? "window" : "camera_restarted");
      return;
    }
    if (verdict !== "take") return;
    try {
      await this.#encoder.add({
        seq: frame.seq,
        pts: frame.pts,
        timeMs: frame.capturedAtMs,
        jpeg: frame.data,
      });
    } catch (error) {
      this.#failure = error;
      this.close(this.#closeReason);
    }
  }

  #stopTimer(): void {
    clearInterval(this.#stallTimer);
    this.#stallTimer = undefined;
  }

  async #finish(): Promise<void> {
    await this.#started; // never rejects
    this.#stopTimer();
    let outcome: RecordingOutcome;
    try {
      await this.#frames?.stop();
      outcome = await this.#result();
    } catch (error) {
      outcome = { ok: false, error: errorMessage(error) };
    } finally {
      await this.#snapshots?.stop().catch(() => {});
    }
    if (!outcome.ok) {
      await this.#encoder.abort().catch(() => {});
      await rm(this.dir, { recursive: true, force: true }).catch(() => {});
    }
    this.#resolveDone(outcome);
  }

  async #result(): Promise<RecordingOutcome> {
    const { clip } = this;
    const { settings } = this.#options;
    if (this.#failure !== undefined) return { ok: false, error: errorMessage(this.#failure) };
    const last = clip.lastTaken;
    if (last === undefined) {
      const stream = this.#framesSeen === 0 ? "no frame of the camera is" : "none of them is";
      return {
        ok: false,
        error:
          `no frames to record: frames ${clip.firstSeq}–${clip.lastSeq} of camera ${clip.camera} were asked for and ` +
          `${stream} in FT_FRAMES any more (they age out of it; the camera may have stopped)`,
      };
    }
    const wait =
      this.#closeReason === "stopping" ? Math.min(settings.snapshotWaitMs, 1000) : settings.snapshotWaitMs;
    await this.#book.waitFor(last.seq, wait);
    const encoded = await this.#encoder.finish();
    if (encoded === undefined) return { ok: false, error: "no frame of the clip could be decoded" };
    const alerts = clip.triggers.map((t) => ({ id: t.alertId, seq: t.seq, timeMs: t.timeMs }));
    const results = buildClipResults({
      camera: clip.camera,
      key: this.key,
      alerts,
      window: { firstSeq: clip.firstSeq, lastSeq: clip.lastSeq },
      frames: encoded.frames,
      fps: encoded.fps,
      fpsSource: encoded.fpsSource,
      width: encoded.width,
      height: encoded.height,
      closedBy: this.#closeReason,
      snapshots: this.#book.all,
      annotated: encoded.annotatedPath !== undefined,
    });
    const jsonPath = join(this.dir, "clip.json");
    await writeFile(jsonPath, `${JSON.stringify(results)}\n`);
    const files: ClipOutboxFileInput[] = [
      { suffix: CLIP_SUFFIXES.video, path: encoded.videoPath, contentType: "video/mp4" },
      { suffix: CLIP_SUFFIXES.results, path: jsonPath, contentType: "application/json" },
    ];
    if (encoded.annotatedPath) {
      files.push({ suffix: CLIP_SUFFIXES.annotated, path: encoded.annotatedPath, contentType: "video/mp4" });
    }
    const meta: ClipMeta = {
      camera: clip.camera,
      alertIds: alerts.map((a) => a.id),
      startMs: results.start_ms,
      endMs: results.end_ms,
      frames: results.frames,
      fps: results.fps,
      jsonKey: this.key + CLIP_SUFFIXES.results,
      annotatedKey: encoded.annotatedPath ? this.key + CLIP_SUFFIXES.annotated : "",
    };
    return { ok: true, clip: { key: this.key, files, meta, results } };
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
