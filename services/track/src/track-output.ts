/** Between the bus and a camera's track stage: detections in, track events and live snapshots out. */

import type { TrackEvent as StageEvent } from "@facetracker/alerts";
import type { TypedBus } from "@facetracker/bus";
import {
  alignedImage,
  type CameraDetections,
  type TrackStageOutput,
  trackEventToProto,
  trackSnapshotToProto,
} from "@facetracker/pipeline";
import type { Detections } from "@facetracker/proto";
import { type Box, encodeJpeg, iou } from "@facetracker/vision";

/** Events that carry a face thumbnail (JPEG of the aligned crop): the others leave it empty. */
const THUMBNAIL_EVENTS: ReadonlySet<StageEvent["type"]> = new Set([
  "confirmed",
  "identified",
  "identity_changed",
]);

/**
 * Publishes a frame's track events on ft.tracks.<camera> (Nats-Msg-Id `${camera}-${trackId}-${type}-${seq}`:
 * publishing one again, after a restart, is de-duplicated by JetStream) and the live tracks on
 * ft.snapshots.<camera>.
 */
export async function publishTrackOutput(
  bus: TypedBus,
  d: Detections,
  input: CameraDetections,
  { frame, events }: TrackStageOutput,
): Promise<void> {
  for (const e of events) {
    const face = e.box ? input.faces.find((f) => iou(f.box, e.box as Box) > 0.99) : undefined;
    const thumbnail =
      face && THUMBNAIL_EVENTS.has(e.type)
        ? await encodeJpeg(alignedImage(face.alignedRgb), 90)
        : new Uint8Array();
    await bus.publish("tracks", trackEventToProto(d, e, thumbnail), {
      msgId: `${d.camera}-${e.trackId}-${e.type}-${d.seq}`,
    });
  }
  await bus.publish("snapshots", trackSnapshotToProto(d, d, frame.tracks));
}
