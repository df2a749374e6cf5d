import { backDue, backMessage, type OfflineNotice, offlineDueMs, offlineMessage } from "@facetracker/alerts";
import { type Bus, openCameraStatusBoard } from "@facetracker/bus";
import type { FaceTrackerConfig } from "@facetracker/config";
import { abortableSleep, backoffDelayMs } from "@facetracker/infra";
import type { NotificationTransport } from "@facetracker/notify";
import type { CameraStatus } from "@facetracker/proto";
import type { Logger, ServiceMetrics } from "@facetracker/service-kit";

/** Delays between attempts of one notification: 1 s doubling, at most 30 s (as for alerts). */
const BACKOFF = { initialMs: 1000, maxMs: 30_000, factor: 2 };

/** A camera's camera_offline_alert_s in ms: its own, else the site's (0 = never). */
export function offlineThresholdMs(config: FaceTrackerConfig, camera: string): number {
  const own = config.cameras.find((c) => c.id === camera)?.camera_offline_alert_s;
  return (own ?? config.alerts.camera_offline_alert_s) * 1000;
}

/**
 * Camera offline notifications: the alert service watches the camera status board (KV
 * ft_camera_status, written by ingest) and, when a camera has been reconnecting for longer than its
 * camera_offline_alert_s, sends one notification through the alerts' Apprise destinations (retried
 * with backoff), then one when the camera is back. What was sent is recorded on the board
 * (`<camera>.offline_notified`), so a restart of the service neither repeats nor forgets one. With
 * `owns`, only the cameras it says this alert instance owns (the others are another instance's); call
 * recheck(camera) when that changes.
 */
export async function startCameraOfflineAlerts({
  bus,
  config,
  logger,
  metrics,
  transport,
  owns = () => true,
}: {
  bus: Bus;
  config: FaceTrackerConfig;
  logger: Logger;
  metrics: ServiceMetrics;
  transport: NotificationTransport;
  /** Whether this instance tells of the camera (default: every camera). */
  owns?: (camera: string) => boolean;
}): Promise<{ recheck(camera: string): void; stop(): Promise<void> }> {
  const wanted =
    config.alerts.camera_offline_alert_s > 0 ||
    config.cameras.some((c) => (c.camera_offline_alert_s ?? 0) > 0);
  if (!wanted) return { recheck: () => {}, stop: async () => {} };
  const urls = config.alerts.notification_config;
  const board = await openCameraStatusBoard(bus.nc);
  const stopping = new AbortController();
  const timers = new Map<string, NodeJS.Timeout>();
  /** The outage each camera was last logged as told already (logged once per outage). */
  const toldLogged = new Map<string, number>();
  /** Notifications in flight, one chain per camera (its offline and back ones in order). */
  const chains = new Map<string, Promise<void>>();

  const send = async (camera: string, kind: "offline" | "back", message: { title: string; body: string }) => {
    if (urls.length === 0) {
      logger.warn(`camera ${kind} (no notification_config: logged only)`, { camera, ...message });
      return true;
    }
    const attempts = 1 + config.alerts.notification_retries;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        // A stop lets the attempt in flight finish (and be recorded): cut off, it may have gone out unrecorded.
        const signal = AbortSignal.timeout(config.alerts.notification_timeout_s * 1000);
        await transport.send(urls, { ...message, format: "markdown", attachments: [] }, signal);
        metrics.messagesOut.inc({ subject_kind: `camera_${kind}_notification_sent` });
        logger.info(`camera ${kind} notification sent`, { camera });
        return true;
      } catch (error) {
        if (stopping.signal.aborted) return false;
        const last = attempt === attempts || (error as { retryable?: boolean }).retryable === false;
        if (last) {
          metrics.messagesOut.inc({ subject_kind: `camera_${kind}_notification_failed` });
          logger.warn(`camera ${kind} notification failed`, {
            camera,
            attempts: attempt,
            error: error as Error,
          });
          return false;
        }
        await abortableSleep(backoffDelayMs(attempt, BACKOFF), stopping.signal);
      }
    }
    return false;
  };

  /** Runs `work` after the camera's notifications in flight. */
  const chain = (camera: string, work: () => Promise<void>) => {
    const next = (chains.get(camera) ?? Promise.resolve()).then(work).catch((error: unknown) => {
      logger.warn("camera offline notification not settled", { camera, error: error as Error });
    });
    chains.set(camera, next);
  };

  /** The camera's outage is due: notify it unless it ended or was notified meanwhile (another start). */
  const notifyOffline = (camera: string, sinceMs: number) =>
    chain(camera, async () => {
      if (!owns(camera)) return;
      const status = await board.get(camera);
      const notice = await board.offlineNotice(camera);
      if (!status || status.sinceMs !== sinceMs) return;
      if (offlineDueMs(status, offlineThresholdMs(config, camera), notice) === undefined) return;
      if (await send(camera, "offline", offlineMessage(camera, status, Date.now()))) {
        await board.recordOfflineNotice(camera, { sinceMs, backSent: false });
      }
    });

  const notifyBack = (camera: string, status: CameraStatus, notice: OfflineNotice) =>
    chain(camera, async () => {
      if (!owns(camera)) return;
      if (await send(camera, "back", backMessage(camera, notice, status))) {
        await board.recordOfflineNotice(camera, { ...notice, backSent: true });
      }
    });

  const onStatus = async (camera: string, status: CameraStatus | undefined) => {
    clearTimeout(timers.get(camera));
    timers.delete(camera);
    if (!status || !owns(camera)) return;
    const notice = await board.offlineNotice(camera);
    if (backDue(status, notice) && notice) {
      notifyBack(camera, status, notice);
      return;
    }
    const due = offlineDueMs(status, offlineThresholdMs(config, camera), notice);
    if (due === undefined) {
      const told = status.state === "reconnecting" && notice?.sinceMs === status.sinceMs;
      if (told && toldLogged.get(camera) !== status.sinceMs) {
        toldLogged.set(camera, status.sinceMs);
        logger.info("camera down, told already", { camera, downSinceMs: status.sinceMs });
      }
      return;
    }
    const timer = setTimeout(() => notifyOffline(camera, status.sinceMs), Math.max(0, due - Date.now()));
    timer.unref();
    timers.set(camera, timer);
  };

  const watch = await board.watch();
  const following = (async () => {
    for await (const change of watch) {
      await onStatus(change.id, change.status).catch((error: unknown) =>
        logger.warn("camera status not followed", { camera: change.id, error: error as Error }),
      );
    }
  })();
  return {
    recheck(camera) {
      if (stopping.signal.aborted) return;
      void board
        .get(camera)
        .then((status) => onStatus(camera, status))
        .catch((error: unknown) =>
          logger.warn("camera status not followed", { camera, error: error as Error }),
        );
    },
    stop: async () => {
      stopping.abort();
      watch.stop();
      for (const timer of timers.values()) clearTimeout(timer);
      await following.catch(() => {});
      await Promise.all(chains.values());
    },
  };
}
