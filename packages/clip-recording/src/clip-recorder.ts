/**
 * The clips of every camera: alerts are placed into clips (ClipPlanner), each clip is recorded
 * (ClipRecording) and put into the durable outbox in front of the storage, whose stored clips are handed
 * back to the caller to announce. Local clips are pruned on a schedule. Free of any bus: the caller brings
 * the alerts, the frame and snapshot feeds, and publishes what comes out.
 *
 * Alerts come at least once; each gets one clip record: a ledger in the spool (alerts.log, fsync'ed)
 * remembers what became of every alert's clip (spooled, announced, failed), so that a redelivered alert
 * is not recorded again (after an outage its frames are gone: a redo could only fail) and a clip stored
 * again after a crash is not announced twice.
 */

import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { ClipOutbox, type ClipOutboxEntry, type ClipStorage, clipKey } from "@facetracker/clips";
import type { FaceTrackerConfig } from "@facetracker/config";
import { abortableSleep, type BackoffOptions, backoffDelayMs, MarkerLog } from "@facetracker/infra";
import type { Logger } from "@facetracker/service-kit";
import { type ClipStatus, clipAlertKey, clipMetaOf } from "./clip-meta.ts";
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
  /**
   * A clip is stored (this run's or a spooled one of an earlier run): announce it for `alertIds`, those of
   * its alerts not announced before (all of them, but after a crash between an announce and the spool's
   * clean-up); a rejection is retried.
   */
  onStored: (entry: ClipOutboxEntry, url: string, alertIds: string[]) => Promise<void>;
  /** Records what became of an alert's clip when it is not stored ("failed", "disabled"). */
  publishStatus: (camera: string, alertId: string, status: ClipStatus) => Promise<void>;
  /** Delays between attempts to publish a status (default 1 s doubling to 30 s). */
  statusRetry?: BackoffOptions;
  /** Called for each frame a recording receives. */
  onFrame?: () => void;
  /** The queue depths, when they change and every second. */
  onQueueDepths?: (depths: ClipQueueDepths) => void;
}

/** What the ledger remembers of an alert's clip. */
type AlertClipState =
  | { state: "spooled"; key: string }
  | { state: "announced"; key: string }
  | { state: "failed"; error: string };

/** An alert comes back for as long as FT_ALERTS keeps it (30 days): the ledger remembers it that long. */
const LEDGER_MAX_AGE_MS = 30 * 24 * 3600 * 1000;
const STATUS_RETRY: BackoffOptions = { initialMs: 1000, maxMs: 30_000, factor: 2 };

/**
 * Records a clip around each alert: clipFrames frames, half before the trigger, half after it; alerts of
 * one camera whose trigger falls inside an open clip's window extend that clip (capped). Each clip goes
 * into the outbox; take() resolves once the alert's clip is spooled (or its failure recorded), so an alert
 * acknowledged then is never lost, and a restart redoes unfinished clips under the same key. An alert whose
 * clip was spooled, announced or failed before (the ledger says) is not recorded again.
 */
export class ClipRecorder {
  readonly #options: ClipRecorderOpenOptions;
  readonly #planner: ClipPlanner | undefined;
  readonly #workDir: string;
  readonly #outbox: ClipOutbox;
  readonly #ledger: MarkerLog<AlertClipState>;
  readonly #retention: { stop(): void };
  readonly #depthTimer: NodeJS.Timeout;
  /** Clips being recorded, by planned clip id; each settles once spooled (or failed). */
  readonly #inWork = new Map<number, { recording: ClipRecording; settled: Promise<unknown> }>();
  /** Alerts waiting for their clip, by id (a redelivered alert waits for the same clip). */
  readonly #alertsInWork = new Map<string, Promise<unknown>>();
  #stopping = false;
  readonly #stopped = new AbortController();
  #closeAllNow = false;

  private constructor(
    options: ClipRecorderOpenOptions,
    planner: ClipPlanner | undefined,
    workDir: string,
    outbox: ClipOutbox,
    ledger: MarkerLog<AlertClipState>,
  ) {
    this.#options = options;
    this.#planner = planner;
    this.#workDir = workDir;
    this.#outbox = outbox;
    this.#ledger = ledger;
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
    // The outbox takes the spool's lock, then uploads what an earlier run left: announcing waits for the
    // ledger, opened under that lock.
    let ledgerOpened: (ledger: MarkerLog<AlertClipState> | undefined) => void = () => {};
    const ledgerReady = new Promise<MarkerLog<AlertClipState> | undefined>((resolve) => {
      ledgerOpened = resolve;
    });
    const outbox = await ClipOutbox.open({
      spoolDir: options.spoolDir,
      storage,
      ...(options.retry ? { retry: options.retry } : {}),
      onStored: async (entry, url) => {
        const ledger = await ledgerReady;
        if (!ledger) throw new Error("the clip ledger could not be opened");
        await announceOnce(ledger, entry, url, options.onStored);
      },
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
    let ledger: MarkerLog<AlertClipState>;
    try {
      ledger = await MarkerLog.open<AlertClipState>(join(options.spoolDir, "alerts.log"), {
        maxAgeMs: LEDGER_MAX_AGE_MS,
      });
    } catch (error) {
      ledgerOpened(undefined);
      await outbox.close();
      throw error;
    }
    ledgerOpened(ledger);
    return new ClipRecorder(options, planner, workDir, outbox, ledger);
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
    if (waiting) {
      // Redelivered while its clip is in work.
      const failure = await waiting;
      if (failure !== undefined) throw failure;
      return;
    }
    const before = this.#ledger.get(clipAlertKey(alert));
    if (before) {
      // Redelivered after its clip settled: spooled or announced clips are the outbox's to announce (once);
      // a failure is recorded again (the same record: one per alert).
      this.#options.logger.info("alert seen before: its clip is not recorded again", {
        alert: alert.id,
        camera: alert.camera,
        clip: before.state,
      });
      if (before.state === "failed") {
        await this.report(alert.camera, [alert.id], { status: "failed", error: before.error });
      }
      return;
    }
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
    const failure = await settled;
    if (failure !== undefined) throw failure; // its failure could not be recorded: the alert comes back
  }

  /**
   * Records what became of the alerts' clip, retrying a publish that fails (the bus is down) with backoff;
   * once stopping, a publish that still fails rejects (the alert is not acknowledged and comes back).
   */
  async report(camera: string, alertIds: readonly string[], clip: ClipStatus): Promise<void> {
    const retry = this.#options.statusRetry ?? STATUS_RETRY;
    for (const alertId of alertIds) {
      for (let attempt = 1; ; attempt++) {
        try {
          await this.#options.publishStatus(camera, alertId, clip);
          break;
        } catch (error) {
          if (this.#stopped.signal.aborted) throw error;
          const retryInMs = backoffDelayMs(attempt, retry);
          if (attempt === 1 || attempt % 10 === 0) {
            this.#options.logger.warn("clip status not published yet: retrying", {
              alert: alertId,
              camera,
              status: clip.status,
              attempt,
              retryInMs,
              error,
            });
          }
          await abortableSleep(retryInMs, this.#stopped.signal);
        }
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
      this.#stopped.abort(); // status publishes stop retrying
      for (const { recording } of this.#inWork.values()) recording.close("stopping");
    }, this.#options.stopGraceMs);
    try {
      await stopIntake();
      await Promise.all([...this.#inWork.values()].map((w) => w.settled));
    } finally {
      clearTimeout(grace);
      this.#stopped.abort();
      clearInterval(this.#depthTimer);
      this.#retention.stop();
      await this.#outbox.close();
      await this.#ledger.close();
      await this.#options.storage.close?.();
    }
  }

  #updateDepths(): void {
    this.#options.onQueueDepths?.(this.depths);
  }

  /**
   * Records `clip` and spools it; resolves (never rejects) once it is in the outbox or reported failed,
   * with the error of a failure report that could not be published (stopping), else undefined.
   */
  #record(planner: ClipPlanner, clip: PlannedClip): Promise<unknown> {
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
      let reportError: unknown;
      const outcome = await recording.done;
      const alertIds = clip.triggers.map((t) => t.alertId);
      const alertKeys = clip.triggers.map((t) => clipAlertKey({ id: t.alertId, timeMs: t.timeMs }));
      let error = outcome.ok ? undefined : outcome.error;
      if (outcome.ok) {
        try {
          await this.#outbox.enqueue({
            key: outcome.clip.key,
            files: outcome.clip.files,
            meta: { ...outcome.clip.meta },
          });
          // Spooled: a redelivery of these alerts finds them here. (A crash before this line redoes the
          // clip under the same key: the outbox overwrites it, the announce is de-duplicated.)
          await this.#ledger
            .set(alertKeys.map((k) => [k, { state: "spooled", key: outcome.clip.key }]))
            .catch((ledgerError: unknown) =>
              logger.error("cannot note the clip as spooled: a redelivered alert would record it again", {
                key: outcome.clip.key,
                error: ledgerError,
              }),
            );
          const r = outcome.clip.results;
          logger.info("clip recorded", {
            key: outcome.clip.key,
            camera: clip.camera,
            alerts: alertIds,
            frames: r.frames,
            fps: r.fps,
            complete: r.window.complete,
            closedBy: r.closed_by,
            ...(outcome.clip.meta.missing ? { missing: outcome.clip.meta.missing } : {}),
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
        const failure = error;
        await this.#ledger
          .set(alertKeys.map((k) => [k, { state: "failed", error: failure }]))
          .catch(() => {});
        reportError = await this.report(clip.camera, alertIds, { status: "failed", error }).then(
          () => undefined,
          (e: unknown) => e ?? new Error("the clip status could not be published"),
        );
      }
      await rm(recording.dir, { recursive: true, force: true }).catch(() => {});
      this.#inWork.delete(clip.id);
      for (const id of alertIds) this.#alertsInWork.delete(id);
      this.#updateDepths();
      return reportError;
    })();
    this.#inWork.set(clip.id, { recording, settled });
    this.#updateDepths();
    return settled;
  }
}

/**
 * Announces a stored clip for those of its alerts the ledger has not seen announced, then notes them
 * announced: the outbox may store a clip again after a crash between its announce and its clean-up.
 */
async function announceOnce(
  ledger: MarkerLog<AlertClipState>,
  entry: ClipOutboxEntry,
  url: string,
  onStored: ClipRecorderOpenOptions["onStored"],
): Promise<void> {
  const meta = clipMetaOf(entry);
  const keys = meta.alertKeys;
  const due =
    keys.length === meta.alertIds.length
      ? meta.alertIds.filter((_, i) => ledger.get(keys[i] as string)?.state !== "announced")
      : meta.alertIds;
  if (due.length === 0) return;
  await onStored(entry, url, due);
  await ledger.set(keys.map((k) => [k, { state: "announced", key: entry.primaryKey }]));
}
