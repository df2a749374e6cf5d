/** What `facetracker up` prints as it happens: track events, alerts, and what became of each alert. */
import { type Alert, type AlertDelivery, type TrackEvent, trackEventTypeToJSON } from "@facetracker/sdk";

export async function printTrackEvents(events: AsyncIterable<TrackEvent>): Promise<void> {
  for await (const e of events) {
    if (e.type === 0) continue;
    const who = e.identity
      ? `${e.identity.name} (${e.identity.similarity.toFixed(2)})`
      : e.identifying
        ? "identifying"
        : "unknown";
    console.log(
      `track  ${e.camera} #${e.trackId} ${trackEventTypeToJSON(e.type)
        .replace(/^TRACK_EVENT_TYPE_/, "")
        .toLowerCase()} ${who} at ${e.pts.toFixed(2)} s`,
    );
  }
}

export async function printAlerts(alerts: AsyncIterable<Alert>): Promise<void> {
  for await (const a of alerts) {
    const who = a.identity ? `${a.identity.name} (${a.similarity.toFixed(2)})` : "unknown face";
    console.log(
      `ALERT  ${a.camera} #${a.trackId}: ${who} at ${new Date(a.timeMs).toISOString()} [${a.mode}]`,
    );
  }
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
