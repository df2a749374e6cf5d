/**
 * What users saw after a fault run, and whether it kept the promises of docs/reliability.md: read from
 * the streams (FT_TRACKS, FT_ALERTS with the delivery records, FT_CLIPS, FT_DLQ), the notification
 * receiver and the clip directory.
 */

import { existsSync } from "node:fs";
import path from "node:path";
import {
  type Bus,
  DLQ_HEADERS,
  MESSAGE_TYPES,
  type MessageKind,
  type MessageKinds,
  parseCameraSubject,
} from "@facetracker/bus";
import {
  type Alert,
  type AlertDelivery,
  type AlertUpdate,
  type ClipEvent,
  type TrackEvent,
  TrackEventType,
} from "@facetracker/proto";
import type { HttpReceiver } from "@facetracker/testing/notify";
import { NOTIFICATION_DESTINATIONS, parseNotificationTitle } from "./fault-scene.ts";

/** A notification as the receiver got it, with the alert its title names. */
export interface ReceivedNotification {
  /** The destination (the receiver's path) it was sent to. */
  destination: string;
  title: string;
  camera?: string;
  trackId?: number;
}

/** A dead letter as stored in FT_DLQ. */
export interface StoredDeadLetter {
  subject: string;
  originalSubject: string;
  consumer: string;
  stage: string;
  error: string;
}

export interface Observed {
  /** IDENTIFIED track events (the alert trigger), in stream order. */
  identified: TrackEvent[];
  alerts: Alert[];
  /** "Seen again" updates: tracks that were the person of an earlier alert (one alert per person). */
  seenAgain: AlertUpdate[];
  deliveries: AlertDelivery[];
  clips: ClipEvent[];
  notifications: ReceivedNotification[];
  /** The configured destinations: each alert must reach each one once. */
  destinations: readonly string[];
  deadLetters: StoredDeadLetter[];
  /** Whether the clip with this storage key is in the clip directory. */
  clipFileExists: (key: string) => boolean;
}

/** Reads every message of `stream` (first to last sequence). */
async function readStream(
  bus: Bus,
  stream: string,
  each: (message: { subject: string; data: Uint8Array; header?: (name: string) => string }) => void,
): Promise<void> {
  const { state } = await bus.jsm.streams.info(stream);
  if (state.messages === 0) return;
  for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
    let message: Awaited<ReturnType<typeof bus.jsm.streams.getMessage>>;
    try {
      message = await bus.jsm.streams.getMessage(stream, { seq });
    } catch {
      continue; // a gap (deleted message)
    }
    if (!message) continue;
    each({
      subject: message.subject,
      data: message.data,
      header: (name) => message?.header?.get(name) ?? "",
    });
  }
}

function decode<K extends MessageKind>(kind: K, data: Uint8Array): MessageKinds[K] {
  return MESSAGE_TYPES[kind].decode(data) as MessageKinds[K];
}

/** Reads what the run left in the streams, the receiver and the clip directory. */
export async function readObserved(bus: Bus, receiver: HttpReceiver, clipsDir: string): Promise<Observed> {
  const observed: Observed = {
    identified: [],
    alerts: [],
    seenAgain: [],
    deliveries: [],
    clips: [],
    notifications: [],
    destinations: NOTIFICATION_DESTINATIONS,
    deadLetters: [],
    clipFileExists: (key) => existsSync(path.join(clipsDir, key)),
  };
  await readStream(bus, "FT_TRACKS", ({ subject, data }) => {
    if (parseCameraSubject(subject)?.kind !== "tracks") return;
    const event = decode("tracks", data);
    if (event.type === TrackEventType.IDENTIFIED) observed.identified.push(event);
  });
  await readStream(bus, "FT_ALERTS", ({ subject, data }) => {
    const kind = parseCameraSubject(subject)?.kind;
    if (kind === "alerts") observed.alerts.push(decode("alerts", data));
    else if (kind === "alert_updates") observed.seenAgain.push(decode("alert_updates", data));
    else if (kind === "deliveries") observed.deliveries.push(decode("deliveries", data));
  });
  await readStream(bus, "FT_CLIPS", ({ subject, data }) => {
    if (parseCameraSubject(subject)?.kind === "clips") observed.clips.push(decode("clips", data));
  });
  await readStream(bus, "FT_DLQ", ({ subject, header }) => {
    observed.deadLetters.push({
      subject,
      originalSubject: header?.(DLQ_HEADERS.subject) ?? "",
      consumer: header?.(DLQ_HEADERS.consumer) ?? "",
      stage: header?.(DLQ_HEADERS.stage) ?? "",
      error: header?.(DLQ_HEADERS.error) ?? "",
    });
  });
  for (const request of receiver.requests) {
    let title = "";
    try {
      title = String((JSON.parse(request.body.toString("utf8")) as { title?: unknown }).title ?? "");
    } catch {
      title = `(not JSON: ${request.body.toString("utf8").slice(0, 80)})`;
    }
    observed.notifications.push({ destination: request.path, title, ...parseNotificationTitle(title) });
  }
  return observed;
}

/** One broken promise. */
export interface Violation {
  kind: "lost" | "duplicated" | "dead letter" | "failed" | "unexpected";
  what: string;
  /** Capture time of the trigger it concerns (to find the fault nearest to it), ms since the epoch. */
  timeMs?: number;
}

export interface OutcomeCounts {
  /** Tracks whose identity settled (each one an alert trigger under ON_ALL + alert_once). */
  tracks: number;
  knownTracks: number;
  alerts: number;
  /** Tracks published as an earlier alert's person seen again instead of a new alert. */
  seenAgain: number;
  deliveryRecords: number;
  notifications: number;
  clips: number;
  deadLetters: number;
  lost: number;
  duplicated: number;
}

const trackKey = (camera: string, trackId: number) => `${camera} #${trackId}`;

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    groups.set(k, [...(groups.get(k) ?? []), item]);
  }
  return groups;
}

/** A clip status that means the alert's clip is stored (partial: its pre-roll was gone, what existed is kept). */
const STORED_CLIP = new Set(["stored", "partial"]);

/**
 * The promises, with the scene's rules (ON_ALL, alert_once, no cooldown for known people, one alert per
 * unknown person, one destination, no grouping): every identified track has exactly one alert or exactly
 * one "seen again" update of an alert of the run (never both); every alert exactly one notification record ("sent") and
 * one notification received per destination; exactly one clip record ("stored") and one ClipEvent covering it, whose file
 * exists; no dead letter.
 */
export function checkOutcome(observed: Observed): { counts: OutcomeCounts; violations: Violation[] } {
  const violations: Violation[] = [];
  const identified = groupBy(observed.identified, (e) => trackKey(e.camera, e.trackId));
  const alertsByTrack = groupBy(observed.alerts, (a) => trackKey(a.camera, a.trackId));
  const seenByTrack = groupBy(observed.seenAgain, (u) => trackKey(u.camera, u.trackId));
  const alertIds = new Set(observed.alerts.map((a) => a.id));
  const deliveriesByAlert = groupBy(observed.deliveries, (d) => d.alertId);
  const received = groupBy(
    observed.notifications.filter((n) => n.camera !== undefined),
    (n) => `${trackKey(n.camera as string, n.trackId as number)} ${n.destination}`,
  );
  for (const n of observed.notifications) {
    if (n.camera === undefined || !observed.destinations.includes(n.destination)) {
      violations.push({
        kind: "unexpected",
        what: `a notification to ${n.destination} that names no alert of the run: '${n.title}'`,
      });
    }
  }

  for (const [track, events] of identified) {
    const first = events[0] as TrackEvent;
    const who = first.identity?.name ?? "unknown";
    if (events.length > 1) {
      violations.push({
        kind: "duplicated",
        what: `track ${track} (${who}) identified ${events.length} times`,
        timeMs: Number(first.timeMs),
      });
    }
    const alerts = alertsByTrack.get(track) ?? [];
    const seen = seenByTrack.get(track) ?? [];
    if (seen.length > 0 && alerts.length > 0) {
      violations.push({
        kind: "duplicated",
        what: `track ${track} (${who}) has an alert (${alerts[0]?.id}) and is also the seen-again person of ${seen[0]?.alertId}`,
        timeMs: Number(first.timeMs),
      });
    } else if (seen.length > 1) {
      violations.push({
        kind: "duplicated",
        what: `track ${track} (${who}) has ${seen.length} seen-again updates: ${seen.map((u) => u.alertId).join(", ")}`,
        timeMs: Number(first.timeMs),
      });
    }
    for (const u of seen.filter((x) => !alertIds.has(x.alertId))) {
      violations.push({
        kind: "unexpected",
        what: `track ${track} (${who}) is seen again on alert ${u.alertId}, which is not an alert of the run`,
        timeMs: Number(first.timeMs),
      });
    }
    if (seen.length > 0) continue;
    if (alerts.length === 0) {
      violations.push({
        kind: "lost",
        what: `track ${track} (${who}) was identified but never alerted`,
        timeMs: Number(first.timeMs),
      });
    } else if (alerts.length > 1) {
      violations.push({
        kind: "duplicated",
        what: `track ${track} (${who}) has ${alerts.length} alerts: ${alerts.map((a) => a.id).join(", ")}`,
        timeMs: Number(first.timeMs),
      });
    }
  }

  for (const alert of observed.alerts) {
    const track = trackKey(alert.camera, alert.trackId);
    const timeMs = Number(alert.timeMs);
    const label = `alert ${alert.id} (track ${track}, ${alert.identity?.name ?? "unknown"})`;
    if (!identified.has(track)) {
      violations.push({ kind: "unexpected", what: `${label} has no identified event of its track`, timeMs });
    }
    const records = deliveriesByAlert.get(alert.id) ?? [];
    const notified = records.filter((d) => d.notificationStatus !== "");
    const clipped = records.filter((d) => d.clipStatus !== "");
    if (notified.length === 0) {
      violations.push({ kind: "lost", what: `${label} has no notification delivery record`, timeMs });
    } else if (notified.length > 1) {
      violations.push({
        kind: "duplicated",
        what: `${label} has ${notified.length} notification delivery records (${notified.map((d) => d.notificationStatus).join(", ")})`,
        timeMs,
      });
    }
    for (const d of notified.filter((r) => r.notificationStatus !== "sent")) {
      violations.push({
        kind: "failed",
        what: `${label}: notification ${d.notificationStatus} (${d.notificationError})`,
        timeMs,
      });
    }
    for (const destination of observed.destinations) {
      const messages = received.get(`${track} ${destination}`) ?? [];
      if (messages.length === 0) {
        violations.push({ kind: "lost", what: `${label}: no notification reached ${destination}`, timeMs });
      } else if (messages.length > 1) {
        violations.push({
          kind: "duplicated",
          what: `${label}: ${destination} got ${messages.length} notifications`,
          timeMs,
        });
      }
    }
    if (clipped.length === 0) {
      violations.push({ kind: "lost", what: `${label} has no clip delivery record`, timeMs });
    } else if (clipped.length > 1) {
      violations.push({
        kind: "duplicated",
        what: `${label} has ${clipped.length} clip delivery records (${clipped.map((d) => (d.clipError ? `${d.clipStatus}: ${d.clipError}` : d.clipStatus)).join(", ")})`,
        timeMs,
      });
    }
    for (const d of clipped.filter((r) => !STORED_CLIP.has(r.clipStatus))) {
      violations.push({ kind: "failed", what: `${label}: clip ${d.clipStatus} (${d.clipError})`, timeMs });
    }
    const clips = observed.clips.filter((c) => c.alertIds.includes(alert.id) || c.alertId === alert.id);
    if (clips.length === 0) {
      violations.push({ kind: "lost", what: `${label}: no clip record (ClipEvent) covers it`, timeMs });
    } else if (clips.length > 1) {
      violations.push({
        kind: "duplicated",
        what: `${label}: ${clips.length} clip records cover it (${clips.map((c) => c.key).join(", ")})`,
        timeMs,
      });
    }
    for (const clip of clips.filter((c) => !observed.clipFileExists(c.key))) {
      violations.push({
        kind: "lost",
        what: `${label}: its clip file ${clip.key} is not in the clip storage`,
        timeMs,
      });
    }
  }

  for (const letter of observed.deadLetters) {
    violations.push({
      kind: "dead letter",
      what: `${letter.originalSubject || letter.subject} dead-lettered by ${letter.consumer || "a consumer"} (${letter.stage}): ${letter.error}`,
    });
  }

  const counts: OutcomeCounts = {
    tracks: identified.size,
    knownTracks: [...identified.values()].filter((events) => events[0]?.identity).length,
    alerts: observed.alerts.length,
    seenAgain: observed.seenAgain.length,
    deliveryRecords: observed.deliveries.length,
    notifications: observed.notifications.length,
    clips: observed.clips.length,
    deadLetters: observed.deadLetters.length,
    lost: violations.filter((v) => v.kind === "lost").length,
    duplicated: violations.filter((v) => v.kind === "duplicated").length,
  };
  return { counts, violations };
}
