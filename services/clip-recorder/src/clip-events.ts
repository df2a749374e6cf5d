/** What the clip recorder publishes: the ClipEvent of a stored clip, and the clip status of each alert. */

import type { TypedBus } from "@facetracker/bus";
import { type ClipMeta, type ClipStatus, clipMetaOf } from "@facetracker/clip-recording";
import type { ClipOutboxEntry } from "@facetracker/clips";
import { AlertDelivery, ClipEvent } from "@facetracker/proto";

/**
 * Publishes the ClipEvent of a stored clip on ft.clips.<camera> (de-duplicated by its key; not again when
 * some of its alerts were announced before), then an AlertDelivery for each of `alertIds` (default: every
 * alert it covers) with clip_status "stored", or "partial" with what is missing when its pre-roll was lost.
 */
export async function announceStoredClip(
  bus: TypedBus,
  entry: ClipOutboxEntry,
  url: string,
  alertIds?: readonly string[],
): Promise<ClipMeta> {
  const meta = clipMetaOf(entry);
  const due = alertIds ?? meta.alertIds;
  if (due.length === meta.alertIds.length) await publishClipEvent(bus, entry, url, meta);
  const status: ClipStatus = meta.missing
    ? { status: "partial", key: entry.primaryKey, url, missing: meta.missing }
    : { status: "stored", key: entry.primaryKey, url };
  for (const alertId of due) await publishClipStatus(bus, meta.camera, alertId, status);
  return meta;
}

async function publishClipEvent(bus: TypedBus, entry: ClipOutboxEntry, url: string, meta: ClipMeta) {
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
      partial: meta.missing !== "",
      missing: meta.missing,
    }),
    { msgId: entry.primaryKey },
  );
}

/**
 * Records what became of an alert's clip as an AlertDelivery on ft.deliveries.<camera> (the notification
 * fields are the alert service's and stay empty). One per alert: de-duplicated per alert, whatever the
 * status (the recorder's ledger keeps a redelivered alert from getting another status).
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
      clipKey: clip.status === "stored" || clip.status === "partial" ? clip.key : "",
      clipUrl: clip.status === "stored" || clip.status === "partial" ? clip.url : "",
      clipMissing: clip.status === "partial" ? clip.missing : "",
      timeMs: Date.now(),
    }),
    { msgId: `${alertId}-clip` },
  );
}
