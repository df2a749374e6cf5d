import { type Bus, ensureStreams, publishMessage, subject } from "@facetracker/bus";
import type { ClipOutboxEntry } from "@facetracker/clips";
import { AlertDelivery, ClipEvent } from "@facetracker/proto";

/** What the outbox keeps with a spooled clip (JSON), to announce it once stored, in this process or the next. */
export interface ClipMeta {
  camera: string;
  /** Every alert the clip covers; the first named it. */
  alertIds: string[];
  startMs: number;
  endMs: number;
  frames: number;
  fps: number;
  jsonKey: string;
  /** "" when there is no annotated copy. */
  annotatedKey: string;
}

/** The meta of a spooled entry, checked (a spool written by another version may lack fields). */
export function clipMetaOf(entry: ClipOutboxEntry): ClipMeta {
  const m = entry.meta as Partial<ClipMeta>;
  const alertIds = Array.isArray(m.alertIds) ? m.alertIds.filter((id) => typeof id === "string") : [];
  if (typeof m.camera !== "string" || alertIds.length === 0) {
    throw new Error(`clip ${entry.key}: its spool entry has no camera or alert IDs in its meta`);
  }
  const num = (value: unknown) => (typeof value === "number" && Number.isFinite(value) ? value : 0);
  return {
    camera: m.camera,
    alertIds,
    startMs: num(m.startMs),
    endMs: num(m.endMs),
    frames: num(m.frames),
    fps: num(m.fps),
    jsonKey: typeof m.jsonKey === "string" ? m.jsonKey : "",
    annotatedKey: typeof m.annotatedKey === "string" ? m.annotatedKey : "",
  };
}

/** The clip part of an alert's delivery record. */
export type ClipStatus =
  | { status: "stored"; key: string; url: string }
  | { status: "failed"; error: string }
  | { status: "disabled" };

/**
 * Publishes the ClipEvent of a stored clip on ft.clips.<camera> (de-duplicated by its key), then an
 * AlertDelivery with clip_status "stored" for every alert it covers.
 */
export async function announceStoredClip(bus: Bus, entry: ClipOutboxEntry, url: string): Promise<ClipMeta> {
  const meta = clipMetaOf(entry);
  await publishMessage(
    bus.js,
    subject("clips", meta.camera),
    ClipEvent,
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
    { msgId: entry.primaryKey, ensureStream: () => ensureStreams(bus.jsm) },
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
  bus: Bus,
  camera: string,
  alertId: string,
  clip: ClipStatus,
): Promise<void> {
  await publishMessage(
    bus.js,
    subject("deliveries", camera),
    AlertDelivery,
    AlertDelivery.fromPartial({
      alertId,
      camera,
      clipStatus: clip.status,
      clipError: clip.status === "failed" ? clip.error : "",
      clipKey: clip.status === "stored" ? clip.key : "",
      clipUrl: clip.status === "stored" ? clip.url : "",
      timeMs: Date.now(),
    }),
    { msgId: `${alertId}-clip-${clip.status}`, ensureStream: () => ensureStreams(bus.jsm) },
  );
}
