/** What `facetracker up` prints as it happens: track events, alerts, and what became of each alert. */
import { type Bus, consumeMessages, type MessageConsumer } from "@facetracker/bus";
import { Alert, AlertDelivery, TrackEvent, trackEventTypeToJSON } from "@facetracker/proto";

export async function printTrackEvents(bus: Bus): Promise<MessageConsumer> {
  return consumeMessages({
    js: bus.js,
    stream: "FT_TRACKS",
    filterSubject: "ft.tracks.>",
    deliverPolicy: "new",
    type: TrackEvent,
    handler: (e) => {
      if (e.type === 0) return;
      const who = e.identity ? `${e.identity.name} (${e.identity.similarity.toFixed(2)})` : "unknown";
      console.log(
        `track  ${e.camera} #${e.trackId} ${trackEventTypeToJSON(e.type)
          .replace(/^TRACK_EVENT_TYPE_/, "")
          .toLowerCase()} ${who} at ${e.pts.toFixed(2)} s`,
      );
    },
  });
}

export async function printAlerts(bus: Bus): Promise<MessageConsumer> {
  return consumeMessages({
    js: bus.js,
    stream: "FT_ALERTS",
    filterSubject: "ft.alerts.>",
    deliverPolicy: "new",
    type: Alert,
    handler: (a) => {
      const who = a.identity ? `${a.identity.name} (${a.similarity.toFixed(2)})` : "unknown face";
      console.log(
        `ALERT  ${a.camera} #${a.trackId}: ${who} at ${new Date(a.timeMs).toISOString()} [${a.mode}]`,
      );
    },
  });
}

/** What became of each alert's clip and notification ("disabled" ones are not printed). */
export async function printDeliveries(bus: Bus): Promise<MessageConsumer> {
  return consumeMessages({
    js: bus.js,
    stream: "FT_ALERTS",
    filterSubject: "ft.deliveries.>",
    deliverPolicy: "new",
    type: AlertDelivery,
    handler: (d) => {
      if (d.clipStatus === "stored") console.log(`CLIP   ${d.camera} ${d.alertId}: ${d.clipUrl}`);
      else if (d.clipStatus === "failed")
        console.log(`CLIP   ${d.camera} ${d.alertId} failed: ${d.clipError}`);
      if (d.notificationStatus === "sent") console.log(`NOTIFY ${d.camera} ${d.alertId}: sent`);
      else if (d.notificationStatus === "failed") {
        console.log(
          `NOTIFY ${d.camera} ${d.alertId} failed after ${d.notificationAttempts} attempts: ${d.notificationError}`,
        );
      }
    },
  });
}
