/**
 * What the page shows besides the live frames, kept in memory and pushed to browsers as server-sent
 * events: the recent alerts (FT_ALERTS ft.alerts.*, with the face picture), their person's later sightings
 * (ft.alert_updates.*, "seen again") and what became of their clip and notification (ft.deliveries.*, and
 * FT_CLIPS), the latest face picture of each recent track
 * (FT_TRACKS events that carry one: confirmed, identified, identity changed), for enrolling, and gallery
 * changes (ft.gallery.changed). At start it reads back the last messages of each stream, so a restarted
 * api still shows the recent alerts.
 */

import type { MessageConsumer, MessageKind, StartPolicy, TypedBus } from "@facetracker/bus";
import {
  type Alert,
  type AlertDelivery,
  type AlertUpdate,
  type ClipEvent,
  galleryChangeKindToJSON,
} from "@facetracker/proto";
import type { ServiceDeps } from "@facetracker/service-host";
import type { SseClient } from "./sse.ts";

/** An alert as the page shows it (the face picture is fetched from /api/alerts/<id>/face.jpg). */
export interface AlertView {
  id: string;
  camera: string;
  trackId: number;
  /** The identity's name; null = unknown. */
  name: string | null;
  identityId: string | null;
  similarity: number;
  /** An unknown face: the identity it came closest to, below the threshold ("closest: obama 0.28"). */
  closest: { name: string; similarity: number } | null;
  /** Capture time of the triggering frame, ms since the epoch. */
  timeMs: number;
  mode: string;
  /** Later sightings of the alert's person (not new alerts), oldest first: the last SEEN_AGAIN_KEPT. */
  seenAgain: SeenAgainView[];
  /** How many sightings there were in all (seenAgain keeps the last ones). */
  seenAgainCount: number;
  /** A face picture is attached (it can be enrolled). */
  face: boolean;
  /**
   * The clip: status "" (not settled yet), "stored", "partial" (stored, `missing` says what it lacks),
   * "failed" or "disabled"; key when stored or partial.
   */
  clip: { status: string; key: string; error: string; missing: string };
  /** The notification: status "" (not settled yet), "sent", "failed" or "disabled". */
  notification: { status: string; error: string; attempts: number };
}

/** A later sighting of an alert's person, as the page shows it. */
export interface SeenAgainView {
  camera: string;
  trackId: number;
  /** Capture time, ms since the epoch. */
  timeMs: number;
  /** Who the sighting's face is (null: unknown). */
  name: string | null;
  /** "same_face" (the face matched, `similarity`) or "cooldown" (the same known identity). */
  reason: string;
  similarity: number;
}

/** Sightings kept per alert (the newest). */
const SEEN_AGAIN_KEPT = 20;

export interface ActivityFeedOptions {
  bus: TypedBus;
  logger: ServiceDeps["logger"];
  /** Alerts kept (newest), default 300. */
  maxAlerts?: number;
  /** Track face pictures kept (most recently updated), default 2000. */
  maxTrackFaces?: number;
  /**
   * Brings the gallery this process reads up to date; awaited before a change is passed on, so that the
   * page, which reloads the gallery on the event, sees the change.
   */
  refreshGallery?: () => Promise<void>;
}

/** Stream messages read back at start, at most (FT_ALERTS holds alerts and their deliveries). */
const HISTORY = { alerts: 1500, tracks: 3000, clips: 300 };

/** Where a consumer starts to read the last `count` messages of the kind's stream (then everything new). */
async function lastMessages(
  bus: TypedBus,
  kind: MessageKind,
  count: number,
): Promise<{ startSeq: number } | { deliverPolicy: StartPolicy }> {
  const state = await bus.streamState(kind);
  if (state.messages === 0) return { deliverPolicy: "new" };
  return { startSeq: Math.max(state.firstSeq, state.lastSeq - count + 1) };
}

const trackKey = (camera: string, trackId: number) => `${camera}/${trackId}`;

/** Sets a key in an insertion-ordered map as the newest entry and drops the oldest above `max`. */
function putNewest<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > max) map.delete(map.keys().next().value as K);
}

export class ActivityFeed {
  readonly #options: ActivityFeedOptions;
  readonly #maxAlerts: number;
  readonly #maxTrackFaces: number;
  readonly #alerts = new Map<string, { view: AlertView; face: Uint8Array }>();
  /** Deliveries and clips of alerts not seen yet (read back out of order at start), by alert ID. */
  readonly #early = new Map<string, (view: AlertView) => void>();
  readonly #trackFaces = new Map<string, Uint8Array>();
  readonly #clients = new Set<SseClient>();
  readonly #consumers: MessageConsumer[] = [];
  #galleryChanges: { unsubscribe(): void } | undefined;

  private constructor(options: ActivityFeedOptions) {
    this.#options = options;
    this.#maxAlerts = options.maxAlerts ?? 300;
    this.#maxTrackFaces = options.maxTrackFaces ?? 2000;
  }

  /** Reads back the recent history and follows the streams. */
  static async start(options: ActivityFeedOptions): Promise<ActivityFeed> {
    const feed = new ActivityFeed(options);
    try {
      await feed.#start();
    } catch (error) {
      await feed.close();
      throw error;
    }
    return feed;
  }

  async #start(): Promise<void> {
    const { bus, logger } = this.#options;
    // Alerts and their deliveries share a stream: both read back from the same sequence.
    const alertsStart = await lastMessages(bus, "alerts", HISTORY.alerts);
    this.#consumers.push(
      await bus.consume("alerts", { ...alertsStart, logger, handler: (alert) => this.#onAlert(alert) }),
      await bus.consume("deliveries", {
        ...alertsStart,
        logger,
        handler: (delivery) => this.#onDelivery(delivery),
      }),
      await bus.consume("alert_updates", {
        ...alertsStart,
        logger,
        handler: (update) => this.#onSeenAgain(update),
      }),
      await bus.consume("clips", {
        ...(await lastMessages(bus, "clips", HISTORY.clips)),
        logger,
        handler: (clip) => this.#onClip(clip),
      }),
      await bus.consume("tracks", {
        ...(await lastMessages(bus, "tracks", HISTORY.tracks)),
        logger,
        handler: (event) => {
          if (event.trackId > 0 && event.thumbnailJpeg.length > 0) {
            putNewest(
              this.#trackFaces,
              trackKey(event.camera, event.trackId),
              new Uint8Array(event.thumbnailJpeg),
              this.#maxTrackFaces,
            );
          }
        },
      }),
    );
    this.#galleryChanges = bus.galleryChanged.subscribe((change) => {
      const refreshed = this.#options.refreshGallery?.() ?? Promise.resolve();
      void refreshed.then(() =>
        this.#broadcast("gallery", {
          kind: galleryChangeKindToJSON(change.kind),
          identityId: change.identityId,
          name: change.name,
        }),
      );
    });
  }

  /** The recent alerts, oldest first. */
  alerts(): AlertView[] {
    return [...this.#alerts.values()].map((a) => a.view);
  }

  /** An alert's face picture (JPEG of the 112×112 aligned crop), if the alert is still kept. */
  alertFace(alertId: string): Uint8Array | undefined {
    const face = this.#alerts.get(alertId)?.face;
    return face && face.length > 0 ? face : undefined;
  }

  /** The latest face picture of a track, if it had one recently. */
  trackFace(camera: string, trackId: number): Uint8Array | undefined {
    return this.#trackFaces.get(trackKey(camera, trackId));
  }

  /** Sends the recent alerts to `client`, then every change until it goes away. */
  follow(client: SseClient): void {
    client.send("alerts", this.alerts());
    this.#clients.add(client);
    client.onClose(() => this.#clients.delete(client));
  }

  async close(): Promise<void> {
    this.#galleryChanges?.unsubscribe();
    await Promise.all(this.#consumers.splice(0).map((c) => c.stop()));
    for (const client of this.#clients) client.close();
    this.#clients.clear();
  }

  #onAlert(alert: Alert): void {
    if (this.#alerts.has(alert.id)) return;
    const view: AlertView = {
      id: alert.id,
      camera: alert.camera,
      trackId: alert.trackId,
      name: alert.identity?.name || null,
      identityId: alert.identity?.id || null,
      similarity: alert.similarity,
      closest:
        !alert.identity && alert.closest
          ? { name: alert.closest.name, similarity: alert.closest.similarity }
          : null,
      timeMs: alert.timeMs,
      mode: alert.mode,
      seenAgain: [],
      seenAgainCount: 0,
      face: alert.thumbnailJpeg.length > 0,
      clip: { status: "", key: "", error: "", missing: "" },
      notification: { status: "", error: "", attempts: 0 },
    };
    this.#early.get(alert.id)?.(view);
    this.#early.delete(alert.id);
    putNewest(this.#alerts, alert.id, { view, face: new Uint8Array(alert.thumbnailJpeg) }, this.#maxAlerts);
    this.#broadcast("alert", view);
  }

  #onDelivery(delivery: AlertDelivery): void {
    this.#update(delivery.alertId, (view) => {
      if (delivery.clipStatus) {
        view.clip = {
          status: delivery.clipStatus,
          key: delivery.clipKey,
          error: delivery.clipError,
          missing: delivery.clipMissing,
        };
      }
      if (delivery.notificationStatus) {
        view.notification = {
          status: delivery.notificationStatus,
          error: delivery.notificationError,
          attempts: delivery.notificationAttempts,
        };
      }
    });
  }

  #onSeenAgain(update: AlertUpdate): void {
    const sighting: SeenAgainView = {
      camera: update.camera,
      trackId: update.trackId,
      timeMs: update.timeMs,
      name: update.identity?.name || null,
      reason: update.reason,
      similarity: update.similarity,
    };
    this.#update(update.alertId, (view) => {
      const same = (s: SeenAgainView) => s.camera === sighting.camera && s.trackId === sighting.trackId;
      if (view.seenAgain.some(same)) return;
      view.seenAgain.push(sighting);
      view.seenAgain.sort((a, b) => a.timeMs - b.timeMs);
      if (view.seenAgain.length > SEEN_AGAIN_KEPT) view.seenAgain.shift();
      view.seenAgainCount++;
    });
  }

  #onClip(clip: ClipEvent): void {
    const ids = clip.alertIds.length > 0 ? clip.alertIds : [clip.alertId];
    for (const id of ids) {
      this.#update(id, (view) => {
        if (view.clip.status !== "stored" && view.clip.status !== "partial") {
          view.clip = clip.partial
            ? { status: "partial", key: clip.key, error: "", missing: clip.missing }
            : { status: "stored", key: clip.key, error: "", missing: "" };
        }
      });
    }
  }

  /** Applies `change` to a kept alert and tells the browsers, or keeps it for an alert not seen yet. */
  #update(alertId: string, change: (view: AlertView) => void): void {
    const kept = this.#alerts.get(alertId);
    if (kept) {
      change(kept.view);
      this.#broadcast("alert", kept.view);
      return;
    }
    const before = this.#early.get(alertId);
    putNewest(
      this.#early,
      alertId,
      (view: AlertView) => {
        before?.(view);
        change(view);
      },
      this.#maxAlerts,
    );
  }

  #broadcast(event: string, data: unknown): void {
    for (const client of this.#clients) client.send(event, data);
  }
}
