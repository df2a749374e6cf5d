import { mkdir, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { consumeMessages, ensureStreams, validateCameraId } from "@facetracker/bus";
import { ClipOutbox, clipKey, openClipStorage } from "@facetracker/clips";
import { ClipPlanner, type PlannedClip } from "@facetracker/pipeline";
import { Alert } from "@facetracker/proto";
import type { PipelineService, ServiceDeps } from "@facetracker/service-host";
import { announceStoredClip, type ClipStatus, publishClipStatus } from "./clip-events.ts";
import { ClipRecording, type RecordingSettings } from "./clip-recording.ts";
import { clipStorageConfig, scheduleLocalRetention } from "./clip-retention.ts";

/** Alerts in work at once (each waits, unacknowledged, for its clip to be spooled). */
const ALERTS_IN_WORK = 128;
/**
 * Ack wait of the alerts, ms. Alerts in work are kept alive (every half of it); after a crash they come back
 * this soon, while the camera's recent frames are still in FT_FRAMES (20 s by default) for the redo.
 */
const ALERT_ACK_WAIT_MS = 4000;
/** The durable consumer of the alerts. */
export const CLIP_RECORDER_DURABLE = "clip-recorder";
/** Name of the outbox in facetracker_queue_depth. */
export const OUTBOX_QUEUE = "clip outbox";
/** Name of the clips being recorded in facetracker_queue_depth. */
export const RECORDING_QUEUE = "clip recordings";

/** Knobs for tests and deployments; the defaults suit live cameras. */
export interface ClipRecorderOptions {
  /** Most frames of one clip however many alerts extend it (default 3 × clip_duration). */
  maxClipFrames?: number;
  /** A clip whose camera sends no frame for this long is closed with what it has, ms (default 5000). */
  stallMs?: number;
  /** How long a finished clip waits for the tracking results of its last frames, ms (default 3000). */
  snapshotWaitMs?: number;
  /** At stop, clips still recording get this long to complete before they are closed early, ms (default 4000). */
  stopGraceMs?: number;
  /** Outbox backoff after a failed upload (default 1 s doubling to 60 s). */
  retry?: { initialMs?: number; maxMs?: number };
  /** Local retention period, ms (default 1 hour). */
  retentionIntervalMs?: number;
}

/** Why an alert cannot have a clip (undefined when it can). */
function alertProblem(alert: Alert): string | undefined {
  if (!alert.id) return "the alert has no id";
  try {
    validateCameraId(alert.camera);
  } catch (error) {
    return (error as Error).message;
  }
  if (!Number.isSafeInteger(alert.seq) || alert.seq < 1) return `its trigger frame number is ${alert.seq}`;
  try {
    clipKey(alert.camera, alert.timeMs, alert.id, "");
  } catch (error) {
    return (error as Error).message;
  }
  return undefined;
}

/**
 * Clip recorder: consumes the alerts of every camera (durable consumer "clip-recorder") and records a clip
 * around each: clip_duration frames, half read back from FT_FRAMES before the trigger, half live after it;
 * alerts of one camera whose trigger falls inside an open clip's window extend that clip (capped). Each clip
 * (H.264 MP4, `.json` results, optionally an annotated copy) goes into a durable outbox in front of the
 * storage (local directory or S3); an alert is acknowledged only once its clip is spooled, so a restart
 * redoes unfinished clips under the same key. Once stored: ClipEvent on ft.clips.<camera> and an
 * AlertDelivery "stored" per alert; a clip that cannot be recorded: AlertDelivery "failed" with the reason;
 * clip_duration 0: "disabled".
 */
export async function startClipRecorderService(
  { bus, config, logger, metrics }: ServiceDeps,
  options: ClipRecorderOptions = {},
): Promise<PipelineService> {
  const clipFrames = config.alerts.clip_duration;
  const settings: RecordingSettings = {
    annotated: config.alerts.clip_annotated,
    stallMs: options.stallMs ?? 5000,
    snapshotWaitMs: options.snapshotWaitMs ?? 3000,
  };
  const stopGraceMs = options.stopGraceMs ?? 4000;
  const planner =
    clipFrames > 0
      ? new ClipPlanner({
          clipFrames,
          ...(options.maxClipFrames === undefined ? {} : { maxFrames: options.maxClipFrames }),
        })
      : undefined;
  const fpsOf = (camera: string) => config.cameras.find((c) => c.id === camera)?.fps;

  const storage = openClipStorage(clipStorageConfig(config.storage));
  const spoolDir = resolve(config.storage.spool_path);
  // Recordings in progress live next to the spool (same file system: spooling moves files, no copy).
  const workDir = join(spoolDir, "recording");
  await rm(workDir, { recursive: true, force: true }); // left by a crash: those clips are redone
  await mkdir(workDir, { recursive: true });
  const outbox = await ClipOutbox.open({
    spoolDir,
    storage,
    ...(options.retry ? { retry: options.retry } : {}),
    onStored: async (entry, url) => {
      const meta = await announceStoredClip(bus, entry, url);
      metrics.messagesOut.inc({ subject_kind: "clips" });
      metrics.messagesOut.inc({ subject_kind: "deliveries" }, meta.alertIds.length);
      logger.info("clip stored", { key: entry.primaryKey, camera: meta.camera, alerts: meta.alertIds });
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
  const pendingBacklog = outbox.pending().length;
  if (pendingBacklog > 0) logger.info("clips left by an earlier run are uploaded", { clips: pendingBacklog });
  const retention = scheduleLocalRetention(storage, config.storage, logger, options.retentionIntervalMs);

  /** Clips being recorded, by planned clip id; each settles once spooled (or failed). */
  const inWork = new Map<number, { recording: ClipRecording; settled: Promise<void> }>();
  /** Alerts waiting for their clip, by id (a redelivered alert waits for the same clip). */
  const alertsInWork = new Map<string, Promise<void>>();
  let stopping = false;
  let closeAllNow = false;

  const updateDepths = () => {
    metrics.queueDepth.set({ queue: OUTBOX_QUEUE }, outbox.pending().length);
    metrics.queueDepth.set({ queue: RECORDING_QUEUE }, inWork.size);
  };
  updateDepths();
  const depthTimer = setInterval(updateDepths, 1000);
  depthTimer.unref();

  const recordStatus = async (camera: string, alertIds: readonly string[], clip: ClipStatus) => {
    for (const alertId of alertIds) {
      try {
        await publishClipStatus(bus, camera, alertId, clip);
        metrics.messagesOut.inc({ subject_kind: "deliveries" });
      } catch (error) {
        logger.error("cannot publish the clip status of an alert", { alert: alertId, camera, error });
      }
    }
  };

  /** Records `clip` and spools it; resolves (never rejects) once it is in the outbox or reported failed. */
  const record = (clip: PlannedClip): Promise<void> => {
    const first = clip.first;
    const recording = ClipRecording.start({
      bus,
      planner: planner as ClipPlanner,
      clip,
      key: clipKey(clip.camera, first.timeMs, first.alertId, ""),
      workDir,
      configuredFps: fpsOf(clip.camera),
      settings,
      logger,
      metrics,
    });
    if (closeAllNow) recording.close("stopping");
    const settled = (async () => {
      const outcome = await recording.done;
      const alertIds = clip.triggers.map((t) => t.alertId);
      let error = outcome.ok ? undefined : outcome.error;
      if (outcome.ok) {
        try {
          await outbox.enqueue({
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
        await recordStatus(clip.camera, alertIds, { status: "failed", error });
      }
      await rm(recording.dir, { recursive: true, force: true }).catch(() => {});
      inWork.delete(clip.id);
      for (const id of alertIds) alertsInWork.delete(id);
      updateDepths();
    })();
    inWork.set(clip.id, { recording, settled });
    updateDepths();
    return settled;
  };

  const consumer = await consumeMessages({
    js: bus.js,
    stream: "FT_ALERTS",
    durable: CLIP_RECORDER_DURABLE,
    filterSubject: "ft.alerts.>",
    type: Alert,
    // A first start does not record the alerts of the past days: their frames are long gone.
    deliverPolicy: "new",
    maxAckPending: ALERTS_IN_WORK + 1,
    ackWaitMs: ALERT_ACK_WAIT_MS,
    concurrency: ALERTS_IN_WORK,
    ensureStream: () => ensureStreams(bus.jsm),
    logger,
    onDeadLetter: () => metrics.messagesDeadLettered.inc({ subject_kind: "alerts" }),
    // Returning acknowledges the alert: only once its clip is spooled (or its failure recorded).
    handler: async (alert, info) => {
      metrics.messagesIn.inc({ subject_kind: "alerts" });
      const problem = alertProblem(alert);
      if (problem !== undefined) {
        metrics.messagesDropped.inc({ reason: "invalid alert" });
        logger.error("alert without a clip: it cannot be recorded", {
          alert: alert.id,
          camera: alert.camera,
          subject: info.subject,
          streamSeq: info.streamSeq,
          reason: problem,
        });
        if (alert.id && !problem.startsWith("invalid camera id")) {
          await recordStatus(alert.camera, [alert.id], { status: "failed", error: problem });
        }
        return;
      }
      if (!planner) {
        await recordStatus(alert.camera, [alert.id], { status: "disabled" });
        return;
      }
      const waiting = alertsInWork.get(alert.id);
      if (waiting) return waiting; // redelivered while its clip is in work
      const { clip, kind } = planner.place(alert.camera, {
        alertId: alert.id,
        seq: alert.seq,
        timeMs: alert.timeMs,
      });
      const settled = kind === "opened" ? record(clip) : inWork.get(clip.id)?.settled;
      if (!settled) throw new Error(`clip ${clip.id} of alert ${alert.id} is not in work`); // cannot happen
      alertsInWork.set(alert.id, settled);
      logger.debug("alert placed", { alert: alert.id, camera: alert.camera, clip: clip.id, kind });
      await settled;
    },
  });
  logger.info("recording clips", {
    clipFrames,
    annotated: settings.annotated,
    storage: storage.describe(),
    spool: spoolDir,
  });

  return {
    // The outbox backlog is a metric (facetracker_queue_depth{queue="clip outbox"}), not a readiness
    // condition: clips wait safely in the spool while the storage is down.
    readiness: () => ({ alerts: true, [OUTBOX_QUEUE]: true }),
    stop: async () => {
      if (stopping) return;
      stopping = true;
      // Clips still recording get a grace period to complete, then close with what they have: their
      // alerts are acknowledged once spooled, so the consumer stops without leaving work behind.
      const grace = setTimeout(() => {
        closeAllNow = true;
        for (const { recording } of inWork.values()) recording.close("stopping");
      }, stopGraceMs);
      try {
        await consumer.stop();
        await Promise.all([...inWork.values()].map((w) => w.settled));
      } finally {
        clearTimeout(grace);
        clearInterval(depthTimer);
        retention.stop();
        await outbox.close();
        await storage.close?.();
      }
    },
  };
}
