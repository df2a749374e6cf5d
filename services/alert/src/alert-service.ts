import { type AlertMode, AlertRules, type TrackEvent as StageEvent } from "@facetracker/alerts";
import {
  consumeMessages,
  ensureStreams,
  openCameraRegistry,
  publishMessage,
  subject,
} from "@facetracker/bus";
import { Alert, TrackEvent, TrackEventType } from "@facetracker/proto";
import type { PipelineService, ServiceDeps } from "@facetracker/service-host";
import { startAlertNotifications } from "./alert-notifications.ts";

const stageTypes: Partial<Record<number, StageEvent["type"]>> = {
  [TrackEventType.CONFIRMED]: "confirmed",
  [TrackEventType.IDENTIFIED]: "identified",
  [TrackEventType.IDENTITY_CHANGED]: "identity_changed",
  [TrackEventType.LOST]: "lost",
  [TrackEventType.FOUND]: "found",
  [TrackEventType.ENDED]: "ended",
};

/**
 * Alert: consumes track events of every camera (durable consumer "alert") and publishes an alert on
 * ft.alerts.<camera> for each track whose settled identity matches the camera's rules (alert_mode, once
 * per track with alert_once, a per-identity cooldown, mute and always lists). Alerts carry the camera,
 * track ID, identity or unknown, similarity, time and the face thumbnail; their ID doubles as the
 * JetStream de-duplication ID, so a replay publishes no duplicate. The notifications of the alerts go out
 * from here too (see alert-notifications.ts).
 */
export async function startAlertService({
  bus,
  config,
  logger,
  metrics,
}: ServiceDeps): Promise<PipelineService> {
  const cameras = new Map<string, AlertRules>();
  const registry = await openCameraRegistry(bus.js);
  const registered = new Map<string, string>();
  /** The camera's alert mode: the configuration file's, else the registry's, else the site default. */
  const modeOf = (camera: string): AlertMode =>
    config.cameras.find((c) => c.id === camera)?.alert_mode ??
    (registered.get(camera) as AlertMode | undefined) ??
    config.alerts.alert_mode;
  const consumer = await consumeMessages({
    js: bus.js,
    stream: "FT_TRACKS",
    durable: "alert",
    filterSubject: "ft.tracks.>",
    type: TrackEvent,
    maxAckPending: 1,
    ensureStream: () => ensureStreams(bus.jsm),
    logger,
    onDeadLetter: () => metrics.messagesDeadLettered.inc({ subject_kind: "tracks" }),
    handler: async (event) => {
      metrics.messagesIn.inc({ subject_kind: "tracks" });
      const type = stageTypes[event.type];
      if (!type) return;
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
      const decision = stage.decide(
        {
          type,
          trackId: event.trackId,
          frame: event.seq,
          pts: event.pts,
          box: b ? [b.x1, b.y1, b.x2, b.y2] : null,
          identity: event.identity
            ? { id: event.identity.id, name: event.identity.name, similarity: event.identity.similarity }
            : null,
        },
        event.timeMs,
      );
      if (!decision) return;
      const id = `${event.camera}-${event.trackId}-${event.seq}`;
      await publishMessage(
        bus.js,
        subject("alerts", event.camera),
        Alert,
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
        { msgId: id, ensureStream: () => ensureStreams(bus.jsm) },
      );
      metrics.messagesOut.inc({ subject_kind: "alerts" });
      logger.info("alert", {
        camera: event.camera,
        trackId: event.trackId,
        identity: event.identity?.name ?? "unknown",
      });
    },
  });
  const notifications = await startAlertNotifications({ bus, config, logger, metrics });
  return {
    readiness: () => ({ consumer: true, notifications: true }),
    stop: async () => {
      await consumer.stop();
      await notifications.stop();
    },
  };
}
