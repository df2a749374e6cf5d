import { type AlertMode, AlertRules } from "@facetracker/alerts";
import { openCameraRegistry } from "@facetracker/bus";
// The mapping alone: the alert process does not load the models' runtime the rest of pipeline needs.
import { alertToProto, alertUpdateToProto, trackEventFromProto } from "@facetracker/pipeline/proto-mapping";
import type { AlertUpdate } from "@facetracker/proto";
import { type PipelineService, type ServiceDeps, serviceBus } from "@facetracker/service-host";
import { openAlertMemory } from "./alert-memory.ts";
import { createAlertMetrics } from "./alert-metrics.ts";
import { notificationTransport, startAlertNotifications } from "./alert-notifications.ts";
import { openAlertVisitors } from "./alert-visitors.ts";
import { startCameraOfflineAlerts } from "./camera-offline-alerts.ts";

export { ALERT_MEMORY_BUCKET } from "./alert-memory.ts";
export {
  alertKey,
  type NotificationState,
  openNotificationState,
  SENT_MARKS_BUCKET,
} from "./notification-state.ts";

/** The de-duplication ID of a "seen again" update: one per sighting (track, frame) of an alert's person. */
const alertUpdateId = (u: AlertUpdate) => `seen-${u.alertId}-${u.camera}-${u.trackId}-${u.seq}-${u.timeMs}`;

/**
 * Alert: consumes track events of every camera (durable consumer "alert") and publishes an alert on
 * ft.alerts.<camera> for each track whose settled identity matches the camera's rules (alert_mode, once
 * per track with alert_once, mute and always lists), one alert per person: a track that is the person of a
 * recent alert (a known identity within cooldown_s, or a face matching a face of an alert seen within
 * unknown_cooldown_s, on any camera) is published as that alert's "seen again" update on
 * ft.alert_updates.<camera> instead (no notification, no clip). The site's recent faces are kept in the KV
 * bucket ft_alert_memory, so a restarted service goes on with them. Alerts carry the camera, track ID,
 * identity or unknown (with the closest identity), similarity, time and the face thumbnail; their ID
 * doubles as the JetStream de-duplication ID, so a replay publishes no duplicate. The notifications of the
 * alerts go out from here too (see alert-notifications.ts).
 */
export async function startAlertService(deps: ServiceDeps): Promise<PipelineService> {
  const { config, logger, metrics } = deps;
  const alertMetrics = createAlertMetrics(metrics);
  const bus = serviceBus(deps);
  const cameras = new Map<string, AlertRules>();
  const registry = await openCameraRegistry(deps.bus.js);
  const memory = await openAlertMemory(config, bus, logger);
  const visitors = openAlertVisitors(config, logger);
  const registered = new Map<string, string>();
  /** The camera's alert mode: the configuration file's, else the registry's, else the site default. */
  const modeOf = (camera: string): AlertMode =>
    config.cameras.find((c) => c.id === camera)?.alert_mode ??
    (registered.get(camera) as AlertMode | undefined) ??
    config.alerts.alert_mode;
  const rulesOf = async (camera: string): Promise<AlertRules> => {
    let rules = cameras.get(camera);
    if (!rules) {
      const entry = await registry.get(camera);
      if (entry?.alertMode) registered.set(camera, entry.alertMode);
      rules = new AlertRules({
        mode: modeOf(camera),
        camera,
        once: config.alerts.alert_once,
        cooldownMs: config.alerts.cooldown_s * 1000,
        unknownCooldownMs: config.alerts.unknown_cooldown_s * 1000,
        sameFaceThreshold: config.alerts.same_face_threshold,
        mute: config.alerts.mute,
        always: config.alerts.always,
        memory: memory.faces,
      });
      cameras.set(camera, rules);
    }
    return rules;
  };
  const consumer = await bus.consume("tracks", {
    durable: "alert",
    maxAckPending: 1,
    handler: async (event) => {
      const stageEvent = trackEventFromProto(event);
      if (!stageEvent) return;
      const rules = await rulesOf(event.camera);
      // An unknown face: the face memory's visitor it is, for the cooldown per visitor and the alert's text.
      const unknownFace =
        (stageEvent.type === "identified" || stageEvent.type === "identity_changed") &&
        stageEvent.identity === null &&
        !stageEvent.undetermined;
      const visitor = unknownFace
        ? visitors?.lookup(event.camera, event.trackId, stageEvent.embedding)
        : undefined;
      const { outcome, face } = rules.judge(
        stageEvent,
        event.timeMs,
        visitor !== undefined ? { visitor } : {},
      );
      // The track joins its visitor before its alert (or seen-again update) goes out: the alert names it.
      const hint = outcome?.kind === "seen_again" ? outcome.seenAgain.alert.visitor : undefined;
      const sighting =
        unknownFace && outcome && visitors
          ? visitors.join(event.camera, event.trackId, event.timeMs, stageEvent.embedding, hint)
          : undefined;
      if (sighting && face) {
        face.visitor = sighting.visitor;
        if (outcome?.kind === "alert" && face.alert) face.alert.visitor = sighting.visitor;
      }
      // Published first, remembered after: an event whose outcome could not be published is judged the
      // same when it comes again (and a published one again is stored once: de-duplication IDs).
      if (outcome?.kind === "alert") {
        const alert = alertToProto(event, outcome.alert, modeOf(event.camera), sighting);
        await bus.publish("alerts", alert, { msgId: alert.id });
        alertMetrics.alerts.inc({ camera: event.camera, mode: alert.mode, kind: "alert" });
        alertMetrics.captureToAlert.observe(
          { camera: event.camera },
          Math.max(0, Date.now() - alert.timeMs) / 1000,
        );
        logger.info("alert", {
          camera: event.camera,
          trackId: event.trackId,
          identity: event.identity?.name ?? "unknown",
          ...(sighting ? { visitor: sighting.visitor, visitsToday: sighting.visitsToday } : {}),
        });
      } else if (outcome?.kind === "seen_again") {
        const update = alertUpdateToProto(event, outcome.seenAgain, sighting?.visitor);
        await bus.publish("alert_updates", update, { msgId: alertUpdateId(update) });
        metrics.messagesOut.inc({ subject_kind: `seen_again_${outcome.seenAgain.reason}` });
        alertMetrics.alerts.inc({ camera: event.camera, mode: modeOf(event.camera), kind: "seen_again" });
        logger.info("seen again", {
          camera: event.camera,
          trackId: event.trackId,
          alert: update.alertId,
          reason: update.reason,
        });
      }
      if (face) await memory.remember(face);
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
      visitors?.close();
    },
  };
}
