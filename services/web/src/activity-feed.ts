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
import { identityLabel } from "@facetracker/notify";
import {
  type Alert,
  type AlertDelivery,
  type AlertUpdate,
  type ClipEvent,
  galleryChangeKindToJSON,
} from "@facetracker/proto";
import type { ServiceDeps } from "@facetracker/service-host";
import { AlertAcks } from "./alert-acks.ts";
import {
  type AlertQuery,
  deliveriesAfter,
  matchesQuery,
  type StoredAlert,
  scanAlerts,
  storedAlert,
} from "./alert-pages.ts";
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
  /** An unknown face: the face memory's visitor it is, with its visits (this one included) and today's. */
  visitor: { id: number; visits: number; visitsToday: number } | null;
  /**
   * An unknown face in words, as its notification says it: "unknown visitor #17, third visit today", or
   * "unknown" (a known face: its name).
   */
  unknownAs: string;
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
  /** Its sequence in the alerts stream (a page's cursor; its face picture when no longer kept here). */
  seq: number;
  /** When an operator acknowledged it, ms since the epoch; null: not acknowledged. */
  acknowledged: number | null;
}

/** A later sighting of an alert's person, as the page shows it. */
export interface SeenAgainView {
  camera: string;
  trackId: number;
  /** Capture time, ms since the epoch. */
  timeMs: number;
  /** Who the sighting's face is (null: unknown). */
  name: string | null;
  /**
   * "same_face" (the face matched, `similarity`), "cooldown" (the same known identity) or "visitor" (the
   * same unknown visitor).
   */
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

/** What a delivery record says of an alert's clip and notification, applied to its view. */
function applyDelivery(view: AlertView, delivery: AlertDelivery): void {
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
}

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
  #acks: AlertAcks | undefined;

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
    this.#acks = await AlertAcks.open(bus, (alertId, ack) => {
      const kept = this.#alerts.get(alertId);
      if (!kept || kept.view.acknowledged === (ack?.atMs ?? null)) return;
      kept.view.acknowledged = ack?.atMs ?? null;
      this.#broadcast("alert", kept.view);
    });
    // Alerts and their deliveries share a stream: both read back from the same sequence.
    const alertsStart = await lastMessages(bus, "alerts", HISTORY.alerts);
    this.#consumers.push(
      await bus.consume("alerts", {
        ...alertsStart,
        logger,
        handler: (alert, info) => this.#onAlert(alert, info.streamSeq),
      }),
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

  /**
   * A page of alerts, newest first, from the alerts stream (alert-pages.ts): those kept here with all they
   * learnt since (clip, notification, sightings), older ones with their deliveries read back too. `next`:
   * the `before` of the following page (null: none older).
   */
  async page(query: AlertQuery): Promise<{ alerts: AlertView[]; next: number | null }> {
    const bus = this.#options.bus;
    const views = new Map<number, AlertView>();
    const viewOf = ({ alert, seq }: StoredAlert) => {
      const view = this.#alerts.get(alert.id)?.view ?? this.#view(alert, seq);
      views.set(seq, view);
      return view;
    };
    const { found, next } = await scanAlerts(bus, query, (stored) => matchesQuery(viewOf(stored), query));
    const alerts = found.map((f) => views.get(f.seq) as AlertView);
    const older = alerts.filter((a) => !this.#alerts.has(a.id));
    if (older.length > 0) {
      const seqs = older.map((a) => a.seq);
      const deliveries = await deliveriesAfter(
        bus,
        Math.min(...seqs),
        Math.max(...seqs),
        new Set(older.map((a) => a.id)),
      );
      for (const view of older) for (const d of deliveries.get(view.id) ?? []) applyDelivery(view, d);
    }
    return { alerts, next };
  }

  /** Acknowledges an alert (or withdraws it), for every page. */
  async acknowledge(alertId: string, acknowledged: boolean): Promise<number | null> {
    if (!this.#acks) throw new Error("the activity feed is not started");
    const ack = await this.#acks.set(alertId, acknowledged);
    const kept = this.#alerts.get(alertId);
    if (kept) {
      kept.view.acknowledged = ack?.atMs ?? null;
      this.#broadcast("alert", kept.view);
    }
    return ack?.atMs ?? null;
  }

  /**
   * An alert's face picture (JPEG of the 112×112 aligned crop): kept here, else read back from the alerts
   * stream at `seq` (an alert of an older page).
   */
  async alertFace(alertId: string, seq?: number): Promise<Uint8Array | undefined> {
    const face = this.#alerts.get(alertId)?.face;
    if (face && face.length > 0) return face;
    if (seq === undefined) return undefined;
    const stored = await storedAlert(this.#options.bus, seq, alertId);
    return stored && stored.thumbnailJpeg.length > 0 ? new Uint8Array(stored.thumbnailJpeg) : undefined;
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
    this.#acks?.close();
    await Promise.all(this.#consumers.splice(0).map((c) => c.stop()));
    for (const client of this.#clients) client.close();
    this.#clients.clear();
  }

  #onAlert(alert: Alert, seq: number): void {
    if (this.#alerts.has(alert.id)) return;
    const view = this.#view(alert, seq);
    this.#early.get(alert.id)?.(view);
    this.#early.delete(alert.id);
    putNewest(this.#alerts, alert.id, { view, face: new Uint8Array(alert.thumbnailJpeg) }, this.#maxAlerts);
    this.#broadcast("alert", view);
  }

  /** An alert as the page shows it (clip and notification not settled yet: see #onDelivery). */
  #view(alert: Alert, seq: number): AlertView {
    return {
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
      visitor:
        !alert.identity && alert.visitorId > 0
          ? { id: alert.visitorId, visits: alert.visitorVisits, visitsToday: alert.visitorVisitsToday }
          : null,
      unknownAs: identityLabel(
        null,
        alert.visitorId > 0
          ? { id: alert.visitorId, visits: alert.visitorVisits, visitsToday: alert.visitorVisitsToday }
          : null,
      ),
      timeMs: alert.timeMs,
      mode: alert.mode,
      seenAgain: [],
      seenAgainCount: 0,
      face: alert.thumbnailJpeg.length > 0,
      clip: { status: "", key: "", error: "", missing: "" },
      notification: { status: "", error: "", attempts: 0 },
      seq,
      acknowledged: this.#acks?.get(alert.id)?.atMs ?? null,
    };
  }

  #onDelivery(delivery: AlertDelivery): void {
    this.#update(delivery.alertId, (view) => applyDelivery(view, delivery));
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
