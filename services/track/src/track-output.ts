/** Between the bus and a camera's track stage: detections in, track events and live snapshots out. */

import type { TrackEvent as StageEvent } from "@facetracker/alerts";
import { type Bus, ensureStreams, publishMessage, subject } from "@facetracker/bus";
import { alignedImage, type CameraDetections, type TrackStageOutput } from "@facetracker/pipeline";
import {
  type Detections,
  TrackEvent,
  TrackEventType,
  TrackSnapshot,
  TrackStateKind,
} from "@facetracker/proto";
import type { TrackResult } from "@facetracker/sdk";
import type { ServiceDeps } from "@facetracker/service-host";
import { type Box, encodeJpeg, iou } from "@facetracker/vision";

const eventTypes: Record<StageEvent["type"], TrackEventType> = {
  confirmed: TrackEventType.CONFIRMED,
  identified: TrackEventType.IDENTIFIED,
  identity_changed: TrackEventType.IDENTITY_CHANGED,
  lost: TrackEventType.LOST,
  found: TrackEventType.FOUND,
  ended: TrackEventType.ENDED,
};

const stateKinds: Record<TrackResult["state"], TrackStateKind> = {
  tentative: TrackStateKind.TENTATIVE,
  confirmed: TrackStateKind.CONFIRMED,
  lost: TrackStateKind.LOST,
};

/** Events that carry a face thumbnail (JPEG of the aligned crop): the others leave it empty. */
const THUMBNAIL_EVENTS: ReadonlySet<StageEvent["type"]> = new Set([
  "confirmed",
  "identified",
  "identity_changed",
]);

const toBox = (b: Box) => ({ x1: b[0], y1: b[1], x2: b[2], y2: b[3] });

/** A detections message as the track stage takes it. */
export function stageInput(d: Detections): CameraDetections {
  return {
    seq: d.seq,
    pts: d.pts,
    width: d.width,
    height: d.height,
    sceneCut: d.sceneCut,
    faces: d.faces.map((f) => ({
      box: [f.box?.x1 ?? 0, f.box?.y1 ?? 0, f.box?.x2 ?? 0, f.box?.y2 ?? 0],
      score: f.score,
      landmarks: f.landmarks.map((p) => [p.x, p.y]),
      alignedRgb: f.alignedRgb,
    })),
  };
}

/**
 * Publishes a frame's track events on ft.tracks.<camera> (Nats-Msg-Id `${camera}-${trackId}-${type}-${seq}`:
 * publishing one again, after a restart, is de-duplicated by JetStream) and the live tracks on
 * ft.snapshots.<camera>.
 */
export async function publishTrackOutput(
  bus: Bus,
  metrics: ServiceDeps["metrics"],
  d: Detections,
  input: CameraDetections,
  { frame, events }: TrackStageOutput,
): Promise<void> {
  const timeMs = d.capturedAtMs;
  for (const e of events) {
    const face = e.box ? input.faces.find((f) => iou(f.box, e.box as Box) > 0.99) : undefined;
    await publishMessage(
      bus.js,
      subject("tracks", d.camera),
      TrackEvent,
      {
        camera: d.camera,
        trackId: e.trackId,
        type: eventTypes[e.type],
        ...(e.box ? { box: toBox(e.box) } : {}),
        score: 0,
        ...(e.identity
          ? {
              identity: {
                id: e.identity.id,
                name: e.identity.name,
                attributes: {},
                similarity: e.identity.similarity,
              },
            }
          : {}),
        seq: d.seq,
        pts: d.pts,
        timeMs,
        thumbnailJpeg: Buffer.from(
          face && THUMBNAIL_EVENTS.has(e.type) ? await encodeJpeg(alignedImage(face.alignedRgb), 90) : [],
        ),
      },
      {
        msgId: `${d.camera}-${e.trackId}-${e.type}-${d.seq}`,
        ensureStream: () => ensureStreams(bus.jsm),
      },
    );
    metrics.messagesOut.inc({ subject_kind: "tracks" });
  }
  await publishMessage(
    bus.js,
    subject("snapshots", d.camera),
    TrackSnapshot,
    {
      camera: d.camera,
      seq: d.seq,
      pts: d.pts,
      timeMs,
      width: d.width,
      height: d.height,
      tracks: frame.tracks.map((t) => ({
        trackId: t.trackId,
        state: stateKinds[t.state],
        box: toBox(t.box),
        ...(t.identity
          ? {
              identity: {
                id: t.identity.id,
                name: t.identity.name,
                attributes: t.identity.attributes,
                similarity: t.identity.similarity,
              },
            }
          : {}),
        embedded: t.embedded,
      })),
    },
    { ensureStream: () => ensureStreams(bus.jsm) },
  );
  metrics.messagesOut.inc({ subject_kind: "snapshots" });
}
