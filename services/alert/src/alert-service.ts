import { type AlertMode, AlertRules } from "@facetracker/alerts";
import { openCameraRegistry } from "@facetracker/bus";
// The mapping alone: the alert process does not load the models' runtime the rest of pipeline needs.
import { trackEventFromProto } from "@facetracker/pipeline/proto-mapping";
import { type PipelineService, type ServiceDeps, serviceBus } from "@facetracker/service-host";
import { notificationTransport, startAlertNotifications } from "./alert-notifications.ts";
import { startCameraOfflineAlerts } from "./camera-offline-alerts.ts";

export {
  alertKey,
  type NotificationState,
  openNotificationState,
  SENT_MARKS_BUCKET,
} from "./notification-state.ts";

/**
 * Alert: consumes track events of every camera (durable consumer "alert") and publishes an alert on
 * ft.alerts.<camera> for each track whose settled identity matches the camera's rules (alert_mode, once
 * per track with alert_once, a per-identity cooldown, mute and always lists). Alerts carry the camera,
 * track ID, identity or unknown, similarity, time and the face thumbnail; their ID doubles as the
 * JetStream de-duplication ID, so a replay publishes no duplicate. The notifications of the alerts go out
 * from here too (see alert-notifications.ts).
 */
export async function startAlertService(deps: ServiceDeps): Promise<PipelineService> {
  const { config, logger, metrics } = deps;
  const bus = serviceBus(deps);
  const cameras = new Map<string, AlertRules>();
  const registry = await openCameraRegistry(deps.bus.js);
  const registered = new Map<string, string>();
  /** The camera's alert mode: the configuration file's, else the registry's, else the site default. */
  const modeOf = (camera: string): AlertMode =>
    config.cameras.find((c) => c.id === camera)?.alert_mode ??
    (registered.get(camera) as AlertMode | undefined) ??
    config.alerts.alert_mode;
  const consumer = await bus.consume("tracks", {
    durable: "alert",
    maxAckPending: 1,
    handler: async (event) => {
      const stageEvent = trackEventFromProto(event);
      if (!stageEvent) return;
      let stage = cameras.get(event.camera);
      if (!stage) {
        const entry = await registry.get(event.camera);
        if (entry?.alertMode) registered.set(event.camera, entry.alertMode);
        stage = new AlertRules({
          mode: modeOf(event.camera),
          once: config.alerts.alert_once,
          cooldownMs: config.alerts.cooldown_s * 1000,
          mute: config.alerts.mute,
          always: config.alerts.always,
        });
        cameras.set(event.camera, stage);
      }
      const b = event.box;
      const decision = stage.decide(stageEvent, event.timeMs);
      if (!decision) return;
      const id = `${event.camera}-${event.trackId}-${event.seq}`;
      await bus.publish(
        "alerts",
        {
          id,
          camera: event.camera,
          trackId: event.trackId,
          ...(event.identity ? { identity: event.identity } : {}),
          similarity: event.identity?.similarity ?? 0,
          timeMs: event.timeMs,
          seq: event.seq,
          thumbnailJpeg: event.thumbnailJpeg,
          mode: modeOf(event.camera),
          pts: event.pts,
          ...(b ? { box: b } : {}),
        },
        { msgId: id },
      );
      logger.info("alert", {
        camera: event.camera,
        trackId: event.trackId,
        identity: event.identity?.name ?? "unknown",
      });
    },
  });
  const notifications = await startAlertNotifications({ bus, config, logger, metrics });
  // Cameras down longer than camera_offline_alert_s, told through the same destinations.
  const offline = await startCameraOfflineAlerts({
    bus: deps.bus,
    config,
    logger,
    metrics,
    transport: notificationTransport(config),
  });
  return {
    readiness: () => ({ consumer: true, notifications: true }),
    stop: async () => {
      await consumer.stop();
      await notifications.stop();
      await offline.stop();
    },
  };
}
