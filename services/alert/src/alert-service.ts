import { setTimeout as sleep } from "node:timers/promises";
import { type AlertMode, AlertRules, type RecentFace } from "@facetracker/alerts";
import {
  CameraLeases,
  camerasInStream,
  instanceId,
  type MessageConsumer,
  openCameraRegistry,
  RetryLaterError,
} from "@facetracker/bus";
// The mapping alone: the alert process does not load the models' runtime the rest of pipeline needs.
import { alertToProto, alertUpdateToProto, trackEventFromProto } from "@facetracker/pipeline/proto-mapping";
import type { AlertUpdate, TrackEvent } from "@facetracker/proto";
import { type PipelineService, type ServiceDeps, serviceBus } from "@facetracker/service-host";
import { type ClaimedPerson, openAlertClaims } from "./alert-claims.ts";
import { openAlertMemory } from "./alert-memory.ts";
import { createAlertMetrics } from "./alert-metrics.ts";
import { notificationTransport, startAlertNotifications } from "./alert-notifications.ts";
import { openAlertVisitors } from "./alert-visitors.ts";
import { startCameraOfflineAlerts } from "./camera-offline-alerts.ts";

export { ALERT_CLAIMS_BUCKET } from "./alert-claims.ts";
export { ALERT_MEMORY_BUCKET } from "./alert-memory.ts";
export {
  alertKey,
  type NotificationState,
  openNotificationState,
  SENT_MARKS_BUCKET,
} from "./notification-state.ts";

/** The de-duplication ID of a "seen again" update: one per sighting (track, frame) of an alert's person. */
const alertUpdateId = (u: AlertUpdate) => `seen-${u.alertId}-${u.camera}-${u.trackId}-${u.seq}-${u.timeMs}`;

/** The durable consumer of one camera's track events: `alert_<camera>`. */
export const alertDurable = (camera: string): string => `alert_${camera}`;
/** The one durable consumer of every camera's track events before cameras were split between instances. */
export const LEGACY_ALERT_DURABLE = "alert";
/** How often FT_TRACKS is looked at for cameras neither the configuration nor the registry names, ms. */
const CAMERA_SCAN_MS = 1000;
/** How long an event whose person another instance just claimed waits for that instance's face, ms. */
const CLAIMED_FACE_WAIT_MS = 3000;

/** The person an alert's face is, when claims can name them: a known identity, or a visitor. */
function claimedPerson(face: RecentFace): ClaimedPerson | undefined {
  if (face.identity) return { identity: face.identity.id };
  return face.visitor !== undefined ? { visitor: face.visitor } : undefined;
}

/**
 * Alert: consumes the track events of each camera it owns (durable consumer `alert_<camera>`; several
 * instances split the cameras through leases, see CameraLeases in @facetracker/bus) and publishes an alert
 * on ft.alerts.<camera> for each track whose settled identity matches the camera's rules (alert_mode, once
 * per track with alert_once, mute and always lists), one alert per person: a track that is the person of a
 * recent alert (a known identity within cooldown_s, or a face matching a face of an alert seen within
 * unknown_cooldown_s, on any camera) is published as that alert's "seen again" update on
 * ft.alert_updates.<camera> instead (no notification, no clip). The site's recent faces are kept in the KV
 * bucket ft_alert_memory, so a restarted service goes on with them, and every instance follows the faces the
 * others store there; a known person's or a visitor's alert is first claimed in ft_alert_claims (see
 * alert-claims.ts), so two instances never both alert one person. Events are judged one at a time per
 * instance. Alerts carry the camera, track ID, identity or unknown (with the closest identity), similarity,
 * time and the face thumbnail; their ID doubles as the JetStream de-duplication ID, so a replay publishes
 * no duplicate. The notifications of the alerts go out from here too (see alert-notifications.ts: one
 * durable consumer shared by the instances), and the camera offline notices of the cameras it owns.
 *
 * Upgrade: a camera's new consumer starts after what the old single `alert` consumer acknowledged (when
 * that consumer exists), so no alert of before the upgrade is judged again.
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
  const claims = await openAlertClaims(deps.bus.js);
  let leases: CameraLeases | undefined;
  const owns = (camera: string) => leases?.holds(camera) ?? false;
  const othersFaces = await memory.follow(owns);
  const cooldownOf = (person: ClaimedPerson) =>
    ("identity" in person ? config.alerts.cooldown_s : config.alerts.unknown_cooldown_s) * 1000;

  // Events are judged one at a time (every camera's): a judgement sees the faces of those before it.
  let tail: Promise<unknown> = Promise.resolve();
  const serially = <T>(work: () => Promise<T>): Promise<T> => {
    const next = tail.then(work);
    tail = next.catch(() => {});
    return next;
  };

  const handle = async (event: TrackEvent) => {
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
    const judge = () => rules.judge(stageEvent, event.timeMs, visitor !== undefined ? { visitor } : {});
    let { outcome, face } = judge();
    const person = outcome?.kind === "alert" && face ? claimedPerson(face) : undefined;
    if (outcome?.kind === "alert" && person && cooldownOf(person) > 0) {
      const claim = await claims.claim(
        person,
        { alertId: outcome.alert.id, camera: event.camera, timeMs: event.timeMs },
        cooldownOf(person),
      );
      if (!claim.won) {
        // Another instance alerted this person just now: once its face is here, this is "seen again".
        const deadline = Date.now() + CLAIMED_FACE_WAIT_MS;
        while (outcome?.kind === "alert" && Date.now() < deadline) {
          await sleep(25);
          ({ outcome, face } = judge());
        }
        if (outcome?.kind === "alert") {
          throw new RetryLaterError(
            `the person of track ${event.trackId} on ${event.camera} was alerted by another alert instance (alert ${claim.holder.id}), whose face has not reached this one yet`,
          );
        }
        logger.debug("person claimed by another alert instance: seen again", {
          camera: event.camera,
          trackId: event.trackId,
          alert: claim.holder.id,
        });
      }
    }
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
  };

  const instance = deps.instance ?? instanceId("alert");
  const notifications = await startAlertNotifications({ bus, config, logger, metrics, instance });
  // Cameras down longer than camera_offline_alert_s (those this instance owns), told through the same
  // destinations.
  const offline = await startCameraOfflineAlerts({
    bus: deps.bus,
    config,
    logger,
    metrics,
    transport: notificationTransport(config),
    owns,
  });

  /** Where a camera's new consumer starts: after what the old single consumer acknowledged, if it exists. */
  const legacyFloor = await bus.ackFloor("tracks", LEGACY_ALERT_DURABLE).catch(() => 0);
  const consumers = new Map<string, MessageConsumer>();
  const acquire = async (camera: string): Promise<void> => {
    const consumer = await bus.consume("tracks", {
      camera,
      durable: alertDurable(camera),
      maxAckPending: 1,
      ...(legacyFloor > 0 ? { startSeq: legacyFloor + 1 } : {}),
      handler: (event) => serially(() => handle(event)),
    });
    consumers.set(camera, consumer);
    offline.recheck(camera);
  };
  /** Stops consuming the camera (the event in hand is finished; the rest wait for its next owner). */
  const release = async (camera: string): Promise<void> => {
    await consumers.get(camera)?.stop();
    consumers.delete(camera);
    offline.recheck(camera);
  };
  /**
   * The cameras to judge: the configuration's, the registry's, and any other that FT_TRACKS holds events
   * of (looked for every CAMERA_SCAN_MS), so that no camera's events go unjudged.
   */
  const known = new Set(config.cameras.map((c) => c.id));
  for (const c of await registry.list()) known.add(c.id);
  const inStream = new Set<string>();
  const scanStream = async () => {
    const before = inStream.size;
    for (const camera of await camerasInStream(deps.bus.jsm, "tracks")) {
      inStream.add(camera);
      known.add(camera);
    }
    return inStream.size > before;
  };
  await scanStream().catch(() => false);
  leases = await CameraLeases.start(deps.bus.js, {
    service: "alert",
    instance,
    ttlMs: config.partitions.lease_ttl_s * 1000,
    logger,
    cameras: () => known,
    onAcquire: acquire,
    onRelease: release,
  });
  const cameraLeases = leases;
  // A closed connection (the process going down) renews nothing more: the leases expire for the others.
  void deps.bus.nc.closed().then(() => cameraLeases.abandon());
  const scanning = setInterval(() => {
    void scanStream()
      .then((found) => found && cameraLeases.changed())
      .catch(() => {});
  }, CAMERA_SCAN_MS);
  scanning.unref();
  const watch = await registry.watch();
  const following = (async () => {
    for await (const change of watch) {
      if (change.config) {
        known.add(change.id);
        // A camera's alert_mode from the registry: its rules are made again at its next event.
        cameras.delete(change.id);
        registered.delete(change.id);
      } else if (!config.cameras.some((c) => c.id === change.id) && !inStream.has(change.id)) {
        known.delete(change.id);
      }
      cameraLeases.changed();
    }
  })();
  return {
    readiness: () => ({ consumer: true, notifications: true }),
    stop: async () => {
      clearInterval(scanning);
      watch.stop();
      await following.catch(() => {});
      await cameraLeases.stop();
      othersFaces.stop();
      await notifications.stop();
      await offline.stop();
      visitors?.close();
    },
  };
}
