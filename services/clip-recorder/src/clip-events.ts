/** What the clip recorder publishes: the ClipEvent of a stored clip, and the clip status of each alert. */

import type { TypedBus } from "@facetracker/bus";
import { type ClipMeta, type ClipStatus, clipMetaOf } from "@facetracker/clip-recording";
import type { ClipOutboxEntry } from "@facetracker/clips";
import { AlertDelivery, ClipEvent } from "@facetracker/proto";

/**
 * Publishes the ClipEvent of a stored clip on ft.clips.<camera> (de-duplicated by its key), then an
 * AlertDelivery with clip_status "stored" for every alert it covers.
 */
export async function announceStoredClip(
  bus: TypedBus,
  entry: ClipOutboxEntry,
  url: string,
): Promise<ClipMeta> {
  const meta = clipMetaOf(entry);
  await bus.publish(
    "clips",
    ClipEvent.fromPartial({
      camera: meta.camera,
      alertId: meta.alertIds[0] ?? "",
      alertIds: meta.alertIds,
      key: entry.primaryKey,
      url,
      startMs: meta.startMs,
      endMs: meta.endMs,
      frames: meta.frames,
      jsonKey: meta.jsonKey,
      annotatedKey: meta.annotatedKey,
      fps: meta.fps,
    }),
    { msgId: entry.primaryKey },
  );
  for (const alertId of meta.alertIds) {
    await publishClipStatus(bus, meta.camera, alertId, { status: "stored", key: entry.primaryKey, url });
  }
  return meta;
}

/**
 * Records what became of an alert's clip as an AlertDelivery on ft.deliveries.<camera> (the notification
 * fields are the alert service's and stay empty). De-duplicated per alert and status.
 */
export async function publishClipStatus(
  bus: TypedBus,
  camera: string,
  alertId: string,
  clip: ClipStatus,
): Promise<void> {
  await bus.publish(
    "deliveries",
    AlertDelivery.fromPartial({
      alertId,
      camera,
      clipStatus: clip.status,
      clipError: clip.status === "failed" ? clip.error : "",
      clipKey: clip.status === "stored" ? clip.key : "",
      clipUrl: clip.status === "stored" ? clip.url : "",
      timeMs: Date.now(),
    }),
    { msgId: `${alertId}-clip-${clip.status}` },
  );
}
