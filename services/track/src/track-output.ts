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
import { encodeJpeg } from "@facetracker/vision";
import type { TrackCrops } from "./track-crops.ts";

/** Events that carry a face thumbnail (JPEG of the aligned crop): the others leave it empty. */
const THUMBNAIL_EVENTS: ReadonlySet<StageEvent["type"]> = new Set([
  "confirmed",
  "identified",
  "identity_changed",
]);

/**
 * Publishes a frame's track events on ft.tracks.<camera> (Nats-Msg-Id `${camera}-${trackId}-${type}-${seq}`:
 * publishing one again, after a restart, is de-duplicated by JetStream) and the live tracks on
 * ft.snapshots.<camera>. `crops` is the camera's memory of its tracks' last face crops.
 */
export async function publishTrackOutput(
  bus: TypedBus,
  d: Detections,
  input: CameraDetections,
  output: TrackStageOutput,
  crops: TrackCrops,
): Promise<void> {
  crops.update(input, output.frame);
  for (const e of output.events) {
    const crop = crops.get(e.trackId);
    const thumbnail =
      crop && THUMBNAIL_EVENTS.has(e.type) ? await encodeJpeg(alignedImage(crop), 90) : new Uint8Array();
    await bus.publish("tracks", trackEventToProto(d, e, thumbnail), {
      msgId: `${d.camera}-${e.trackId}-${e.type}-${d.seq}`,
    });
  }
  crops.forget(output.frame.ended);
  await bus.publish("snapshots", trackSnapshotToProto(d, d, output.frame.tracks));
}
