/** What `facetracker up` prints as it happens: track events, alerts, and what became of each alert. */

import { identityLabel } from "@facetracker/notify";
import {
  type Alert,
  type AlertDelivery,
  type AlertUpdate,
  type TrackEvent,
  trackEventTypeToJSON,
} from "@facetracker/sdk";

export async function printTrackEvents(events: AsyncIterable<TrackEvent>): Promise<void> {
  for await (const e of events) {
    if (e.type === 0) continue;
    const who = e.identity
      ? `${e.identity.name} (${e.identity.similarity.toFixed(2)})`
      : e.undetermined
        ? "undetermined"
        : e.identifying
          ? "identifying"
          : e.closest
            ? `unknown (closest: ${e.closest.name} ${e.closest.similarity.toFixed(2)})`
            : "unknown";
    console.log(
      `track  ${e.camera} #${e.trackId} ${trackEventTypeToJSON(e.type)
        .replace(/^TRACK_EVENT_TYPE_/, "")
        .toLowerCase()} ${who} at ${e.pts.toFixed(2)} s`,
    );
  }
}

/**
 * Who an alert's face is: "amy (0.71)", "unknown visitor #17, third visit today — closest: obama 0.28",
 * "unknown face — closest: obama 0.28", "unknown face".
 */
export function alertWho(
  a: Pick<Alert, "identity" | "similarity" | "closest"> &
    Partial<Pick<Alert, "visitorId" | "visitorVisits" | "visitorVisitsToday">>,
): string {
  if (a.identity) return `${a.identity.name} (${a.similarity.toFixed(2)})`;
  const who = a.visitorId
    ? identityLabel(null, {
        id: a.visitorId,
        visits: a.visitorVisits ?? 0,
        visitsToday: a.visitorVisitsToday ?? 0,
      })
    : "unknown face";
  return a.closest ? `${who} — closest: ${a.closest.name} ${a.closest.similarity.toFixed(2)}` : who;
}

export async function printAlerts(alerts: AsyncIterable<Alert>): Promise<void> {
  for await (const a of alerts) {
    console.log(
      `ALERT  ${a.camera} #${a.trackId}: ${alertWho(a)} at ${new Date(a.timeMs).toISOString()} [${a.mode}]`,
    );
  }
}

/** A "seen again" update in words: the track, and the alert whose person it is. */
export function seenAgainLine(u: AlertUpdate): string {
  const who = u.identity ? u.identity.name : u.visitorId ? `unknown visitor #${u.visitorId}` : "unknown face";
  const why =
    u.reason === "same_face"
      ? `same face, ${u.similarity.toFixed(2)}`
      : u.reason === "visitor"
        ? "the same visitor"
        : "within the cooldown";
  return `SEEN   ${u.camera} #${u.trackId}: ${who}, seen again: alert ${u.alertId} (${why}) at ${new Date(u.timeMs).toISOString()}`;
}

export async function printAlertUpdates(updates: AsyncIterable<AlertUpdate>): Promise<void> {
  for await (const u of updates) console.log(seenAgainLine(u));
}

/** What became of each alert's clip and notification ("disabled" ones are not printed). */
export async function printDeliveries(deliveries: AsyncIterable<AlertDelivery>): Promise<void> {
  for await (const d of deliveries) {
    const clip = `CLIP   ${d.camera} ${d.alertId}`;
    if (d.clipStatus === "stored") console.log(`${clip}: ${d.clipUrl}`);
    else if (d.clipStatus === "partial") console.log(`${clip} partial (${d.clipMissing}): ${d.clipUrl}`);
    else if (d.clipStatus === "failed") console.log(`${clip} failed: ${d.clipError}`);
    if (d.notificationStatus === "sent") console.log(`NOTIFY ${d.camera} ${d.alertId}: sent`);
    else if (d.notificationStatus === "failed") {
      console.log(
        `NOTIFY ${d.camera} ${d.alertId} failed after ${d.notificationAttempts} attempts: ${d.notificationError}`,
      );
    }
  }
}
