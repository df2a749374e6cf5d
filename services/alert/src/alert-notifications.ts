import type { TypedBus } from "@facetracker/bus";
import { ClipWaiter } from "@facetracker/clip-recording";
import { type FaceTrackerConfig, type PageLinks, pageLinks } from "@facetracker/config";
import {
  AlertNotifier,
  AppriseApiTransport,
  AppriseCliTransport,
  type DeliveryResult,
  type NotificationTransport,
  remoteLink,
} from "@facetracker/notify";
import { type Alert, AlertDelivery } from "@facetracker/proto";
import type { Logger, ServiceMetrics } from "@facetracker/service-kit";
import { createAlertMetrics } from "./alert-metrics.ts";
import { alertKey, type NotificationState, openNotificationState } from "./notification-state.ts";

/** Alerts waiting for their clip and notification at once, at most (each holds one unacknowledged message). */
const ALERTS_IN_WORK = 64;
/** Margin added to the clip's post-roll when waiting for a clip by default, seconds. */
const CLIP_WAIT_MARGIN_S = 10;

/**
 * How long a notification waits for its alert's clip: notification_clip_wait_s, else the clip's post-roll
 * (half of clip_duration at the slowest configured camera rate, 15 fps by default) plus a margin; no
 * wait when there are no clips.
 */
export function clipWaitMs(config: FaceTrackerConfig): number {
  const a = config.alerts;
  if (a.notification_clip_wait_s !== undefined) return a.notification_clip_wait_s * 1000;
  if (a.clip_duration === 0) return 0;
  const fps = Math.min(15, ...config.cameras.map((c) => c.fps ?? 15));
  return (a.clip_duration / 2 / fps + CLIP_WAIT_MARGIN_S) * 1000;
}

/** A clip as the notifications know it: its storage key and the URL the clip recorder gave. */
interface ClipRef {
  key: string;
  url: string;
}

/**
 * The links a notification carries (see docs/alerts.md): with web.public_url the page's alert view and
 * clip (signed with web.link_secret: they open without a session); without it the clip's URL when it is
 * one a recipient can open (S3: presigned, naming storage.public_endpoint), and for a local clip no link
 * but its key. Never a file:// link.
 */
export function notificationLinks(
  alertId: string,
  clip: ClipRef | undefined,
  links: PageLinks | undefined,
  nowMs = Date.now(),
): { link?: string; clipUrl?: string; clipKey?: string } {
  if (links) {
    return {
      link: links.alertUrl(alertId, nowMs),
      ...(clip?.key ? { clipUrl: links.clipUrl(clip.key, nowMs) } : {}),
    };
  }
  const remote = remoteLink(clip?.url);
  if (remote) return { link: remote, clipUrl: remote };
  return clip?.key ? { clipKey: clip.key } : {};
}

/** Says once, at start, what links the notifications will carry when they cannot be the signed ones. */
function explainLinks(config: FaceTrackerConfig, links: PageLinks | undefined, logger: Logger): void {
  if (links && !links.signed) {
    logger.warn(
      "web.public_url is set without web.link_secret: notification links open the page's alert view only after a login",
      { fix: "set web.link_secret (FACETRACKER_WEB__LINK_SECRET, the same for the alert and web services)" },
    );
  } else if (!links && !/^https?:\/\//i.test(config.storage.endpoint)) {
    logger.info(
      "notifications carry no clip link (the clips are in a local directory): they name the clip's key; set web.public_url and web.link_secret for links that open",
    );
  }
}

/** The configured notification transport: an Apprise API server, or the local `apprise` command. */
export function notificationTransport(config: FaceTrackerConfig): NotificationTransport {
  const api = config.alerts.apprise_api_url;
  return api ? new AppriseApiTransport({ baseUrl: api }) : new AppriseCliTransport();
}

/**
 * The notifications of the alerts: a durable consumer ("notify") of FT_ALERTS takes each alert, waits
 * (bounded) for its clip so the message carries the clip URL, sends it through Apprise (grouped per
 * camera, each destination on its own, retried with backoff) and records the outcome as an AlertDelivery
 * on ft.deliveries.<camera>. Messages are at-least-once; what people see is once: a durable sent-mark per
 * alert and destination (written right after the send, checked before one) keeps a redelivered alert from
 * going out again, and the record is kept before it is published, its publish retried (never the send)
 * and published once. An alert is acknowledged only once its record is published (or kept for the next
 * start). Without notification_config each alert is recorded as "disabled".
 */
export async function startAlertNotifications({
  bus,
  config,
  logger,
  metrics,
  transport = notificationTransport(config),
  instance = "alert",
}: {
  bus: TypedBus;
  config: FaceTrackerConfig;
  logger: Logger;
  metrics: ServiceMetrics;
  transport?: NotificationTransport;
  /** This alert instance's ID, for `{instance}` in alerts.notification_state_path. */
  instance?: string;
}): Promise<{ stop(): Promise<void> }> {
  const state = await openNotificationState(config, bus, logger, instance);
  try {
    return await notifyAlerts({ bus, config, logger, metrics, transport, state });
  } catch (error) {
    await state.close();
    throw error;
  }
}

/** startAlertNotifications once the notification state is open. */
async function notifyAlerts({
  bus,
  config,
  logger,
  metrics,
  transport,
  state,
}: {
  bus: TypedBus;
  config: FaceTrackerConfig;
  logger: Logger;
  metrics: ServiceMetrics;
  transport: NotificationTransport;
  state: NotificationState;
}): Promise<{ stop(): Promise<void> }> {
  const a = config.alerts;
  const alertMetrics = createAlertMetrics(metrics);
  const urls = a.notification_config;
  const { marks, records } = state;
  const notifier =
    urls.length > 0
      ? new AlertNotifier({
          urls,
          transport,
          ...(a.notification_title ? { titleTemplate: a.notification_title } : {}),
          ...(a.notification_message ? { bodyTemplate: a.notification_message } : {}),
          timeoutMs: a.notification_timeout_s * 1000,
          retries: a.notification_retries,
          groupWindowMs: a.notification_group_s * 1000,
          sentMarks: marks,
        })
      : undefined;
  const waitMs = clipWaitMs(config);
  const links = pageLinks(config);
  if (notifier) explainLinks(config, links, logger);
  const clips = new ClipWaiter<ClipRef>();
  const clipWatcher = await bus.consume("clips", {
    // Clips of the last minutes too, for alerts still waiting after a restart.
    deliverPolicy: "last_per_subject",
    handler: (clip) => {
      clips.ready(clip.alertIds.length > 0 ? clip.alertIds : [clip.alertId], {
        key: clip.key,
        url: clip.url,
      });
    },
  });

  /** Keeps the record, publishes it (retried), and copies the sent-marks while the bus answers. */
  const record = async (
    alert: Alert,
    delivery: Partial<AlertDelivery> & { alertId: string; camera: string },
  ) => {
    await records.publish(alertKey(alert), AlertDelivery.fromPartial({ ...delivery, timeMs: Date.now() }));
    void marks.flush();
  };

  /** One alert's notification and record; a second delivery of an alert in work joins the first. */
  const notifyOnce = async (alert: Alert) => {
    const kept = records.get(alertKey(alert));
    if (kept) {
      // Settled before (this run or an earlier one): its record, published once; nothing is sent again.
      await records.publish(alertKey(alert), kept.delivery);
      return;
    }
    if (!notifier) {
      await record(alert, { alertId: alert.id, camera: alert.camera, notificationStatus: "disabled" });
      return;
    }
    const clip = await clips.wait(alert.id, waitMs);
    const clipUrl = clip?.url || undefined;
    const result: DeliveryResult = await notifier.notify({
      id: alertKey(alert),
      camera: alert.camera,
      trackId: alert.trackId,
      identity: alert.identity?.name ?? null,
      similarity: alert.similarity,
      ...(alert.closest && !alert.identity
        ? { closest: { name: alert.closest.name, similarity: alert.closest.similarity } }
        : {}),
      ...(alert.visitorId > 0 && !alert.identity
        ? {
            visitor: {
              id: alert.visitorId,
              visits: alert.visitorVisits,
              visitsToday: alert.visitorVisitsToday,
            },
          }
        : {}),
      timeMs: alert.timeMs,
      ...notificationLinks(alert.id, clip, links),
      ...(alert.thumbnailJpeg.length > 0 ? { thumbnailJpeg: alert.thumbnailJpeg } : {}),
    });
    const resent = result.destinations.every((d) => d.status === "already_sent");
    metrics.messagesOut.inc({ subject_kind: `notification_${resent ? "already_sent" : result.status}` });
    alertMetrics.notifications.inc({
      camera: alert.camera,
      status: resent ? "already_sent" : result.status,
    });
    if (result.status === "failed") {
      logger.warn("notification failed", {
        alert: alert.id,
        camera: alert.camera,
        attempts: result.attempts,
        error: result.error,
      });
    }
    for (const d of result.destinations.filter((x) => x.markError)) {
      logger.error(
        "notification sent, but its sent-mark could not be written: a redelivery would send it again",
        {
          alert: alert.id,
          destination: d.destination,
          error: d.markError,
        },
      );
    }
    await record(alert, {
      alertId: alert.id,
      camera: alert.camera,
      notificationStatus: result.status,
      notificationError: result.error ?? "",
      notificationAttempts: result.attempts,
      clipUrl: clipUrl ?? "",
    });
  };

  const inWork = new Map<string, Promise<void>>();
  const consumer = await bus.consume("alerts", {
    durable: "notify",
    deliverPolicy: "new",
    maxAckPending: ALERTS_IN_WORK + 1,
    concurrency: ALERTS_IN_WORK,
    handler: (alert) => {
      const key = alertKey(alert);
      let work = inWork.get(key);
      if (!work) {
        work = notifyOnce(alert).finally(() => inWork.delete(key));
        inWork.set(key, work);
      }
      return work;
    },
  });
  // What a stop or a crash left: records kept but not published, marks not copied.
  void records.publishLeftovers();
  void marks.flush();
  return {
    stop: async () => {
      // Alerts waiting for a clip are notified now (without it); records the bus does not take stay in
      // records.log for the next start; then the consumer drains.
      clips.cancelAll();
      records.stopRetrying();
      await consumer.stop();
      await notifier?.close();
      await clipWatcher.stop();
      await state.close();
    },
  };
}
