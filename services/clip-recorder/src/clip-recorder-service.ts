import { resolve } from "node:path";
import { validateCameraId } from "@facetracker/bus";
import { ClipRecorder, clipStorageConfig, type RecordingSettings } from "@facetracker/clip-recording";
import { clipKey, openClipStorage } from "@facetracker/clips";
import type { Alert } from "@facetracker/proto";
import { type PipelineService, type ServiceDeps, serviceBus } from "@facetracker/service-host";
import { announceStoredClip, publishClipStatus } from "./clip-events.ts";
import { busClipFeeds } from "./clip-feeds.ts";

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
 * AlertDelivery "stored" per alert ("partial", saying what is missing, when the pre-roll had aged out of
 * FT_FRAMES); a clip that cannot be recorded: AlertDelivery "failed" with the reason; clip_duration 0:
 * "disabled". One clip record per alert: a redelivered alert whose clip settled before is not recorded
 * again (the recorder's ledger in the spool).
 */
export async function startClipRecorderService(
  deps: ServiceDeps,
  options: ClipRecorderOptions = {},
): Promise<PipelineService> {
  const { config, logger, metrics } = deps;
  const bus = serviceBus(deps);
  const clipFrames = config.alerts.clip_duration;
  const settings: RecordingSettings = {
    annotated: config.alerts.clip_annotated,
    stallMs: options.stallMs ?? 5000,
    snapshotWaitMs: options.snapshotWaitMs ?? 3000,
  };
  const storage = openClipStorage(clipStorageConfig(config.storage));
  const spoolDir = resolve(config.storage.spool_path);
  const recorder = await ClipRecorder.open({
    clipFrames,
    ...(options.maxClipFrames === undefined ? {} : { maxClipFrames: options.maxClipFrames }),
    settings,
    stopGraceMs: options.stopGraceMs ?? 4000,
    fpsOf: (camera) => config.cameras.find((c) => c.id === camera)?.fps,
    storage,
    storageSettings: config.storage,
    spoolDir,
    ...(options.retry ? { retry: options.retry } : {}),
    ...(options.retentionIntervalMs === undefined
      ? {}
      : { retentionIntervalMs: options.retentionIntervalMs }),
    feeds: busClipFeeds(bus),
    logger,
    onStored: async (entry, url, alertIds) => {
      const meta = await announceStoredClip(bus, entry, url, alertIds);
      logger.info(meta.missing ? "clip stored, partial" : "clip stored", {
        key: entry.primaryKey,
        camera: meta.camera,
        alerts: alertIds,
        ...(meta.missing ? { missing: meta.missing } : {}),
      });
    },
    publishStatus: async (camera, alertId, clip) => {
      await publishClipStatus(bus, camera, alertId, clip);
    },
    onQueueDepths: (depths) => {
      metrics.queueDepth.set({ queue: OUTBOX_QUEUE }, depths.outbox);
      metrics.queueDepth.set({ queue: RECORDING_QUEUE }, depths.recordings);
    },
  });

  const consumer = await bus.consume("alerts", {
    durable: CLIP_RECORDER_DURABLE,
    // A first start does not record the alerts of the past days: their frames are long gone.
    deliverPolicy: "new",
    maxAckPending: ALERTS_IN_WORK + 1,
    ackWaitMs: ALERT_ACK_WAIT_MS,
    concurrency: ALERTS_IN_WORK,
    // Returning acknowledges the alert: only once its clip is spooled (or its failure recorded).
    handler: async (alert, info) => {
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
          await recorder.report(alert.camera, [alert.id], { status: "failed", error: problem });
        }
        return;
      }
      await recorder.take(alert);
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
    // Clips still recording get a grace period to complete, then close with what they have: their
    // alerts are acknowledged once spooled, so the consumer stops without leaving work behind.
    stop: () => recorder.stop(() => consumer.stop()),
  };
}
