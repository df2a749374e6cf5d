import { randomBytes } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CLIP_SUFFIXES, type ClipOutboxFileInput } from "@facetracker/clips";
import type { FrameRef, FrameTracks } from "@facetracker/pipeline";
import type { Logger } from "@facetracker/service-kit";
import { ClipEncoder, type EncoderFrame } from "./clip-encoder.ts";
import { type ClipMeta, clipAlertKey, preRollLoss } from "./clip-meta.ts";
import type { ClipPlanner, PlannedClip } from "./clip-planner.ts";
import { buildClipResults, type ClipCloseReason, type ClipResults } from "./clip-results.ts";

/** Settings of the recordings (from the configuration, with test overrides). */
export interface RecordingSettings {
  /** Write the annotated copy (alerts.clip_annotated). */
  annotated: boolean;
  /** A clip whose camera sends no frame for this long is closed with what it has, ms. */
  stallMs: number;
  /** How long a finished clip waits for the tracking results (snapshots) of its last frames, ms. */
  snapshotWaitMs: number;
}

/** A feed a recording opened; stop() resolves once the handler in progress returned and no more calls come. */
export interface ClipFeed {
  stop(): Promise<void>;
}

/**
 * Where recordings read a camera's frames and tracking results (snapshots): each feed starts from the
 * oldest one still held (the pre-roll is read back, the post-roll follows live) and calls `handler` in
 * order, one at a time (a frame handler is awaited). Rejects when the feed cannot be opened.
 */
export interface ClipFeeds {
  snapshots(camera: string, handler: (snapshot: FrameTracks) => void): Promise<ClipFeed>;
  frames(camera: string, handler: (frame: EncoderFrame) => Promise<void>): Promise<ClipFeed>;
}

export interface ClipRecordingOptions {
  feeds: ClipFeeds;
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
  /** Called for each frame the recording receives while open (the service counts them). */
  onFrame?: () => void;
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
 * The recording of one planned clip: reads the camera's frames (from the oldest still held: the pre-roll is
 * read back, the post-roll follows live) and its tracking results, each through its own feed, encodes the
 * frames of the window as they come, and
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
  /** The snapshots of the clip's frames (firstSeq…maxLastSeq when each came), for the side file. */
  readonly #snapshots = new Map<number, FrameTracks>();
  readonly #encoder: ClipEncoder;
  /** Wakes #snapshotSettled when a snapshot came. */
  #snapshotCame: (() => void) | undefined;
  #frames: ClipFeed | undefined;
  #snapshotFeed: ClipFeed | undefined;
  #lastFrameAt = Date.now();
  #framesSeen = 0;
  /** The first and the last frame the feed gave (for the error when none of them fits the window). */
  #firstSeen: { seq: number; timeMs: number } | undefined;
  #lastSeen: { seq: number; timeMs: number } | undefined;
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
    this.#encoder = new ClipEncoder({
      dir: this.dir,
      configuredFps: options.configuredFps,
      annotated: options.settings.annotated,
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
    // Not awaited here: stopping the frame feed waits for its handler, which may be the caller.
    setImmediate(() => void this.#finish());
  }

  /** Opens the feeds (never rejects: a failure closes the recording as failed). */
  async #begin(): Promise<void> {
    const { feeds, settings } = this.#options;
    const camera = this.clip.camera;
    try {
      await mkdir(this.dir, { recursive: true });
      this.#snapshotFeed = await feeds.snapshots(camera, (snapshot) => this.#onSnapshot(snapshot));
      this.#frames = await feeds.frames(camera, (frame) => this.#onFrame(frame));
    } catch (error) {
      this.#failure = error;
      this.close(this.#closeReason);
      return;
    }
    if (this.#closing) return; // closed while starting: #finish stops the feeds
    this.#lastFrameAt = Date.now();
    this.#stallTimer = setInterval(
      () => {
        if (Date.now() - this.#lastFrameAt > settings.stallMs) this.close("stalled");
      },
      Math.max(50, Math.min(500, settings.stallMs / 4)),
    );
  }

  /**
   * A snapshot of the camera: those before the window are ignored, those of its frames kept for the side
   * file (maxLastSeq is read at each arrival: the window may grow), and the encoder pairs them with frames.
   */
  #onSnapshot(snapshot: FrameTracks): void {
    if (snapshot.seq < this.clip.firstSeq) return;
    if (snapshot.seq <= this.clip.maxLastSeq) this.#snapshots.set(snapshot.seq, snapshot);
    this.#encoder.addSnapshot(snapshot);
    this.#snapshotCame?.();
  }

  /** Resolves once `frame`'s snapshot came or was passed, or after `timeoutMs` (true when settled). */
  async #snapshotSettled(frame: FrameRef, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#encoder.settled(frame)) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#snapshotCame = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#snapshotCame = undefined;
    }
    return true;
  }

  async #onFrame(frame: EncoderFrame): Promise<void> {
    if (this.#closing) return;
    this.#lastFrameAt = Date.now();
    this.#framesSeen++;
    this.#firstSeen ??= { seq: frame.seq, timeMs: frame.timeMs };
    this.#lastSeen = { seq: frame.seq, timeMs: frame.timeMs };
    this.#options.onFrame?.();
    const verdict = this.clip.offer({ seq: frame.seq, timeMs: frame.timeMs });
    if (verdict === "complete") {
      this.close(frame.seq > this.clip.lastSeq ? "window" : "camera_restarted");
      return;
    }
    if (verdict !== "take") return;
    try {
      await this.#encoder.add(frame);
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
      await this.#snapshotFeed?.stop().catch(() => {});
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
      const seenFirst = this.#firstSeen;
      const seenLast = this.#lastSeen;
      const stream = this.#framesSeen === 0 ? "no frame of the camera is" : "none of them is";
      const seen =
        seenFirst && seenLast
          ? `; the ${this.#framesSeen} frames read were ${seenFirst.seq}–${seenLast.seq}, captured ` +
            `${new Date(seenFirst.timeMs).toISOString()} to ${new Date(seenLast.timeMs).toISOString()}`
          : "";
      return {
        ok: false,
        error:
          `no frames to record: frames ${clip.firstSeq}–${clip.lastSeq} of camera ${clip.camera} were asked for and ` +
          `${stream} in FT_FRAMES any more (they age out of it; the camera may have stopped)${seen}`,
      };
    }
    const wait =
      this.#closeReason === "stopping" ? Math.min(settings.snapshotWaitMs, 1000) : settings.snapshotWaitMs;
    await this.#snapshotSettled(last, wait);
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
      snapshots: this.#snapshots,
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
    // The pre-roll is read back from the frame stream: after an outage it may be gone, and the clip is
    // recorded from what exists (partial), never failed for it.
    const preRollFrames = clip.first.seq - clip.firstSeq;
    const meta: ClipMeta = {
      camera: clip.camera,
      alertIds: alerts.map((a) => a.id),
      alertKeys: clip.triggers.map((t) => clipAlertKey({ id: t.alertId, timeMs: t.timeMs })),
      missing: preRollLoss(results.window.missing_before, preRollFrames, results.fps),
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
