/**
 * The clips of every camera: alerts are placed into clips (ClipPlanner), each clip is recorded
 * (ClipRecording) and put into the durable outbox in front of the storage, whose stored clips are handed
 * back to the caller to announce. Local clips are pruned on a schedule. Free of any bus: the caller brings
 * the alerts, the frame and snapshot feeds, and publishes what comes out.
 */

import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { ClipOutbox, type ClipOutboxEntry, type ClipStorage, clipKey } from "@facetracker/clips";
import type { FaceTrackerConfig } from "@facetracker/config";
import type { Logger } from "@facetracker/service-kit";
import type { ClipStatus } from "./clip-meta.ts";
import { ClipPlanner, type PlannedClip } from "./clip-planner.ts";
import { type ClipFeeds, ClipRecording, type RecordingSettings } from "./clip-recording.ts";
import { scheduleLocalRetention } from "./clip-retention.ts";

/** An alert as the recorder takes it (checked by the caller: an ID, a valid camera, a trigger frame >= 1). */
export interface ClipAlert {
  id: string;
  camera: string;
  /** Sequence number of the trigger frame. */
  seq: number;
  /** Capture time of the trigger frame, ms since the epoch. */
  timeMs: number;
}

/** Clips waiting in the outbox and clips being recorded. */
export interface ClipQueueDepths {
  outbox: number;
  recordings: number;
}

export interface ClipRecorderOpenOptions {
  /** Frames of a clip around one alert (alerts.clip_duration); 0: clips are disabled. */
  clipFrames: number;
  /** Most frames of one clip however many alerts extend it (default 3 × clipFrames). */
  maxClipFrames?: number;
  settings: RecordingSettings;
  /** At stop, clips still recording get this long to complete before they are closed early, ms. */
  stopGraceMs: number;
  /** A camera's configured frame rate (cameras[].fps), if any. */
  fpsOf: (camera: string) => number | undefined;
  /** Where clips go; the recorder closes it at stop. */
  storage: ClipStorage;
  /** The configuration's storage section: local retention (retention_days, max_total_gb). */
  storageSettings: FaceTrackerConfig["storage"];
  /** The outbox's spool directory; recordings in progress live in its `recording` subdirectory. */
  spoolDir: string;
  /** Outbox backoff after a failed upload (default 1 s doubling to 60 s). */
  retry?: { initialMs?: number; maxMs?: number };
  /** Local retention period, ms (default 1 hour). */
  retentionIntervalMs?: number;
  feeds: ClipFeeds;
  logger: Logger;
  /** A clip is stored (this run's or a spooled one of an earlier run): announce it; a rejection is retried. */
  onStored: (entry: ClipOutboxEntry, url: string) => Promise<void>;
  /** Records what became of an alert's clip when it is not stored ("failed", "disabled"). */
  publishStatus: (camera: string, alertId: string, status: ClipStatus) => Promise<void>;
  /** Called for each frame a recording receives. */
  onFrame?: () => void;
  /** The queue depths, when they change and every second. */
  onQueueDepths?: (depths: ClipQueueDepths) => void;
}

/**
 * Records a clip around each alert: clipFrames frames, half before the trigger, half after it; alerts of
 * one camera whose trigger falls inside an open clip's window extend that clip (capped). Each clip goes
 * into the outbox; take() resolves once the alert's clip is spooled (or its failure recorded), so an alert
 * acknowledged then is never lost, and a restart redoes unfinished clips under the same key.
 */
export class ClipRecorder {
  readonly #options: ClipRecorderOpenOptions;
  readonly #planner: ClipPlanner | undefined;
  readonly #workDir: string;
  readonly #outbox: ClipOutbox;
  readonly #retention: { stop(): void };
  readonly #depthTimer: NodeJS.Timeout;
  /** Clips being recorded, by planned clip id; each settles once spooled (or failed). */
  readonly #inWork = new Map<number, { recording: ClipRecording; settled: Promise<void> }>();
  /** Alerts waiting for their clip, by id (a redelivered alert waits for the same clip). */
  readonly #alertsInWork = new Map<string, Promise<void>>();
  #stopping = false;
  #closeAllNow = false;

  private constructor(
    options: ClipRecorderOpenOptions,
    planner: ClipPlanner | undefined,
    workDir: string,
    outbox: ClipOutbox,
  ) {
    this.#options = options;
    this.#planner = planner;
    this.#workDir = workDir;
    this.#outbox = outbox;
    const pendingBacklog = outbox.pending().length;
    if (pendingBacklog > 0) {
      options.logger.info("clips left by an earlier run are uploaded", { clips: pendingBacklog });
    }
    this.#retention = scheduleLocalRetention(
      options.storage,
      options.storageSettings,
      options.logger,
      options.retentionIntervalMs,
    );
    this.#updateDepths();
    this.#depthTimer = setInterval(() => this.#updateDepths(), 1000);
    this.#depthTimer.unref();
  }

  /** Opens the outbox (uploading what an earlier run left in the spool) and starts local retention. */
  static async open(options: ClipRecorderOpenOptions): Promise<ClipRecorder> {
    const { clipFrames, storage, logger } = options;
    const planner =
      clipFrames > 0
        ? new ClipPlanner({
            clipFrames,
            ...(options.maxClipFrames === undefined ? {} : { maxFrames: options.maxClipFrames }),
          })
        : undefined;
    // Recordings in progress live next to the spool (same file system: spooling moves files, no copy).
    const workDir = join(options.spoolDir, "recording");
    await rm(workDir, { recursive: true, force: true }); // left by a crash: those clips are redone
    await mkdir(workDir, { recursive: true });
    const outbox = await ClipOutbox.open({
      spoolDir: options.spoolDir,
      storage,
      ...(options.retry ? { retry: options.retry } : {}),
      onStored: (entry, url) => options.onStored(entry, url),
      onError: (entry, error, info) => {
        logger.warn(info.quarantinedTo ? "clip set aside: it can never be stored" : "clip not stored yet", {
          key: entry?.key,
          storage: storage.describe(),
          attempt: info.attempt,
          retryInMs: info.retryInMs,
          quarantinedTo: info.quarantinedTo,
          error: error.message,
        });
      },
    });
    return new ClipRecorder(options, planner, workDir, outbox);
  }

  /** Clips waiting in the outbox and clips being recorded. */
  get depths(): ClipQueueDepths {
    return { outbox: this.#outbox.pending().length, recordings: this.#inWork.size };
  }

  /**
   * Records the alert's clip (or has it join an open clip of its camera); resolves once the clip is in the
   * outbox or its failure was recorded. With clips disabled, records "disabled" at once.
   */
  async take(alert: ClipAlert): Promise<void> {
    const planner = this.#planner;
    if (!planner) {
      await this.report(alert.camera, [alert.id], { status: "disabled" });
      return;
    }
    const waiting = this.#alertsInWork.get(alert.id);
    if (waiting) return waiting; // redelivered while its clip is in work
    const { clip, kind } = planner.place(alert.camera, {
      alertId: alert.id,
      seq: alert.seq,
      timeMs: alert.timeMs,
    });
    const settled = kind === "opened" ? this.#record(planner, clip) : this.#inWork.get(clip.id)?.settled;
    if (!settled) throw new Error(`clip ${clip.id} of alert ${alert.id} is not in work`); // cannot happen
    this.#alertsInWork.set(alert.id, settled);
    this.#options.logger.debug("alert placed", {
      alert: alert.id,
      camera: alert.camera,
      clip: clip.id,
      kind,
    });
    await settled;
  }

  /** Records what became of the alerts' clip (never rejects: a failure to publish is logged). */
  async report(camera: string, alertIds: readonly string[], clip: ClipStatus): Promise<void> {
    for (const alertId of alertIds) {
      try {
        await this.#options.publishStatus(camera, alertId, clip);
      } catch (error) {
        this.#options.logger.error("cannot publish the clip status of an alert", {
          alert: alertId,
          camera,
          error,
        });
      }
    }
  }

  /**
   * Stops: `stopIntake` stops the alerts coming while clips still recording get a grace period to
   * complete, then close with what they have; their alerts are settled once spooled, so nothing is left
   * behind. Then the outbox and the storage close. Idempotent.
   */
  async stop(stopIntake: () => Promise<void>): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    const grace = setTimeout(() => {
      this.#closeAllNow = true;
      for (const { recording } of this.#inWork.values()) recording.close("stopping");
    }, this.#options.stopGraceMs);
    try {
      await stopIntake();
      await Promise.all([...this.#inWork.values()].map((w) => w.settled));
    } finally {
      clearTimeout(grace);
      clearInterval(this.#depthTimer);
      this.#retention.stop();
      await this.#outbox.close();
      await this.#options.storage.close?.();
    }
  }

  #updateDepths(): void {
    this.#options.onQueueDepths?.(this.depths);
  }

  /** Records `clip` and spools it; resolves (never rejects) once it is in the outbox or reported failed. */
  #record(planner: ClipPlanner, clip: PlannedClip): Promise<void> {
    const { logger, settings, feeds, onFrame } = this.#options;
    const first = clip.first;
    const recording = ClipRecording.start({
      feeds,
      planner,
      clip,
      key: clipKey(clip.camera, first.timeMs, first.alertId, ""),
      workDir: this.#workDir,
      configuredFps: this.#options.fpsOf(clip.camera),
      settings,
      logger,
      ...(onFrame ? { onFrame } : {}),
    });
    if (this.#closeAllNow) recording.close("stopping");
    const settled = (async () => {
      const outcome = await recording.done;
      const alertIds = clip.triggers.map((t) => t.alertId);
      let error = outcome.ok ? undefined : outcome.error;
      if (outcome.ok) {
        try {
          await this.#outbox.enqueue({
            key: outcome.clip.key,
            files: outcome.clip.files,
            meta: { ...outcome.clip.meta },
          });
          const r = outcome.clip.results;
          logger.info("clip recorded", {
            key: outcome.clip.key,
            camera: clip.camera,
            alerts: alertIds,
            frames: r.frames,
            fps: r.fps,
            complete: r.window.complete,
            closedBy: r.closed_by,
          });
        } catch (enqueueError) {
          error = `cannot put the clip into the outbox: ${(enqueueError as Error).message}`;
        }
      }
      if (error !== undefined) {
        logger.error("clip not recorded", {
          camera: clip.camera,
          key: recording.key,
          alerts: alertIds,
          error,
        });
        await this.report(clip.camera, alertIds, { status: "failed", error });
      }
      await rm(recording.dir, { recursive: true, force: true }).catch(() => {});
      this.#inWork.delete(clip.id);
      for (const id of alertIds) this.#alertsInWork.delete(id);
      this.#updateDepths();
    })();
    this.#inWork.set(clip.id, { recording, settled });
    this.#updateDepths();
    return settled;
  }
}
