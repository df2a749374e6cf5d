import { resolve } from "node:path";
import {
  CameraLeases,
  camerasInStream,
  instanceId,
  type MessageConsumer,
  openCameraRegistry,
  streamOf,
  streamSpecOf,
  validateCameraId,
} from "@facetracker/bus";
import { ClipRecorder, clipStorageConfig, type RecordingSettings } from "@facetracker/clip-recording";
import { clipKey, openClipStorage } from "@facetracker/clips";
import type { Alert } from "@facetracker/proto";
import { type PipelineService, type ServiceDeps, serviceBus } from "@facetracker/service-host";
import { announceStoredClip, publishClipStatus } from "./clip-events.ts";
import { busClipFeeds } from "./clip-feeds.ts";
import { instanceSpoolPath } from "./instance-spool.ts";

/** Alerts of one camera in work at once (each waits, unacknowledged, for its clip to be spooled). */
const ALERTS_IN_WORK = 128;
/**
 * Ack wait of the alerts, ms. Alerts in work are kept alive (every half of it); after a crash they come back
 * this soon, while the camera's recent frames are still in FT_FRAMES (20 s by default) for the redo.
 */
const ALERT_ACK_WAIT_MS = 4000;
/** The durable consumer of one camera's alerts: `clip-recorder_<camera>` (camera IDs are valid consumer names). */
export const clipRecorderDurable = (camera: string): string => `clip-recorder_${camera}`;
/**
 * The one durable consumer of every camera's alerts of earlier versions: where it exists (an upgraded
 * site), a camera's new consumer starts after its acknowledgement floor, so no alert is skipped or redone.
 */
export const LEGACY_CLIP_RECORDER_DURABLE = "clip-recorder";
/** How often the cameras with alerts in FT_ALERTS are listed (cameras known only from their alerts), ms. */
export const ALERT_CAMERAS_INTERVAL_MS = 2000;
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
  /** How often the cameras with alerts are listed, ms (default ALERT_CAMERAS_INTERVAL_MS). */
  alertCamerasIntervalMs?: number;
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
 * Clip recorder: consumes the alerts of each camera it owns (durable consumer `clip-recorder_<camera>`) and
 * records a clip around each: clip_duration frames, half read back from FT_FRAMES before the trigger, half live after it;
 * alerts of one camera whose trigger falls inside an open clip's window extend that clip (capped). Each clip
 * (H.264 MP4, `.json` results, optionally an annotated copy) goes into a durable outbox in front of the
 * storage (local directory or S3); an alert is acknowledged only once its clip is spooled, so a restart
 * redoes unfinished clips under the same key. Once stored: ClipEvent on ft.clips.<camera> and an
 * AlertDelivery "stored" per alert ("partial", saying what is missing, when the pre-roll had aged out of
 * FT_FRAMES); a clip that cannot be recorded: AlertDelivery "failed" with the reason; clip_duration 0:
 * "disabled". One clip record per alert: a redelivered alert whose clip settled before is not recorded
 * again (the recorder's ledger in the spool).
 *
 * Several instances split the cameras through leases (service "clip-recorder", see CameraLeases in
 * @facetracker/bus): the cameras of the configuration file, of the camera registry, and those with alerts
 * in FT_ALERTS (listed every ALERT_CAMERAS_INTERVAL_MS: an alert of a camera nobody configured, or one
 * removed from the registry after its alert, is still recorded). An instance consumes only the cameras it
 * holds; a dead instance's cameras are taken over once their leases expire (partitions.lease_ttl_s), and
 * the alerts it held unacknowledged come back to the new owner (after the 4 s ack wait), which records them
 * from FT_FRAMES (one record per alert: the clip key, hence the ClipEvent's and the AlertDelivery's
 * de-duplication IDs, are the same). A camera let go (rebalanced to a new instance) stops taking alerts at
 * once, while its alerts in work finish here and are acknowledged (the lease's renewals of the other cameras
 * never wait for a clip's post-roll). A camera's consumer, when new, starts after the old single consumer's
 * acknowledgement floor where that exists (an upgrade), else at the alerts of the last FT_FRAMES max age
 * (what can still have a clip: a first start records no alert of past days, and an alert that made its
 * camera known is not missed). Each instance needs its own spool: `{instance}` in storage.spool_path is
 * replaced by the instance's ID (see instance-spool.ts); clips are stored in the one storage.
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
  const instance = deps.instance ?? instanceId("clip-recorder");
  const spoolDir = resolve(instanceSpoolPath(config.storage.spool_path, instance));
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

  /** Takes one alert; returning acknowledges it: only once its clip is spooled (or its failure recorded). */
  const takeAlert = async (alert: Alert, info: { subject: string; streamSeq: number }): Promise<void> => {
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
  };

  const jsm = deps.bus.jsm;
  const alertsStream = streamOf("alerts");
  /** Where the durable stands (acknowledgement floor, creation time); undefined when it does not exist. */
  const consumerState = async (
    durable: string,
  ): Promise<{ ackFloor: number; created: string } | undefined> => {
    try {
      const info = await jsm.consumers.info(alertsStream, durable);
      return { ackFloor: info.ack_floor.stream_seq, created: info.created };
    } catch (error) {
      if (/consumer not found/i.test(error instanceof Error ? error.message : String(error))) {
        return undefined;
      }
      throw error;
    }
  };
  const consumers = new Map<string, MessageConsumer>();
  /** Consumers let go, finishing their alerts in work. */
  const stopping = new Set<Promise<void>>();
  const acquire = async (camera: string): Promise<void> => {
    const durable = clipRecorderDurable(camera);
    // An existing consumer resumes where it is (the start is for a new one only).
    let start: { startSeq: number } | { startTime: Date } | undefined;
    if ((await consumerState(durable)) === undefined) {
      const legacy = await consumerState(LEGACY_CLIP_RECORDER_DURABLE);
      // After what the old consumer acknowledged; one that never acknowledged anything (its floor is 0)
      // started with the alerts published after its creation ("new").
      start = !legacy
        ? { startTime: new Date(Date.now() - streamSpecOf("frames").maxAgeMs) }
        : legacy.ackFloor > 0
          ? { startSeq: legacy.ackFloor + 1 }
          : { startTime: new Date(legacy.created) };
      logger.info("new alerts consumer", {
        camera,
        durable,
        ...(legacy ? { after: LEGACY_CLIP_RECORDER_DURABLE } : {}),
        ...("startSeq" in start ? { startSeq: start.startSeq } : { since: start.startTime.toISOString() }),
      });
    }
    consumers.set(
      camera,
      await bus.consume("alerts", {
        camera,
        durable,
        ...(start ?? {}),
        maxAckPending: ALERTS_IN_WORK + 1,
        ackWaitMs: ALERT_ACK_WAIT_MS,
        concurrency: ALERTS_IN_WORK,
        handler: takeAlert,
      }),
    );
  };
  /** Stops taking the camera's alerts; those in work finish (and are acknowledged) in the background. */
  const release = async (camera: string): Promise<void> => {
    const consumer = consumers.get(camera);
    consumers.delete(camera);
    if (!consumer) return;
    const stopped: Promise<void> = consumer
      .stop()
      .catch((error: unknown) => logger.warn("alerts consumer did not stop cleanly", { camera, error }))
      .finally(() => stopping.delete(stopped));
    stopping.add(stopped);
  };

  const registry = await openCameraRegistry(deps.bus.js);
  const configured = new Set(config.cameras.map((c) => c.id));
  const registered = new Set((await registry.list()).map((c) => c.id));
  const alerted = new Set<string>();
  /** Adds the cameras with alerts in FT_ALERTS; true when one is new. */
  const listAlertCameras = async (): Promise<boolean> => {
    let added = false;
    for (const camera of await camerasInStream(jsm, "alerts")) {
      if (alerted.has(camera)) continue;
      alerted.add(camera);
      added = true;
    }
    return added;
  };
  await listAlertCameras().catch((error: unknown) =>
    logger.warn("cannot list the cameras with alerts yet", { error: error as Error }),
  );
  const leases = await CameraLeases.start(deps.bus.js, {
    service: "clip-recorder",
    instance,
    ttlMs: config.partitions.lease_ttl_s * 1000,
    logger,
    cameras: () => new Set([...configured, ...registered, ...alerted]),
    onAcquire: acquire,
    onRelease: release,
  });
  // A closed connection (the process going down) renews nothing more: the leases expire for the others.
  void deps.bus.nc.closed().then(() => leases.abandon());
  const alertCameras = setInterval(() => {
    listAlertCameras().then(
      (added) => {
        if (added) leases.changed();
      },
      () => {}, // the bus is unreachable: listed again next time
    );
  }, options.alertCamerasIntervalMs ?? ALERT_CAMERAS_INTERVAL_MS);
  alertCameras.unref();
  void deps.bus.nc.closed().then(() => clearInterval(alertCameras));
  const watch = await registry.watch();
  const following = (async () => {
    for await (const change of watch) {
      if (change.config) registered.add(change.id);
      else registered.delete(change.id);
      leases.changed();
    }
  })().catch((error: unknown) => {
    logger.error("stopped following the camera registry", { error: error as Error });
  });
  logger.info("recording clips", {
    instance,
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
    stop: () =>
      recorder.stop(async () => {
        clearInterval(alertCameras);
        watch.stop();
        await following;
        await leases.stop(); // each camera let go at once: its next owner takes its alerts
        await Promise.all([...stopping]);
      }),
  };
}
