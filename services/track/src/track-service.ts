import type { TrackEvent as StageEvent } from "@facetracker/alerts";
import {
  consumeMessages,
  EMBED_SUBJECT,
  ensureStreams,
  publishMessage,
  requestMessage,
  subject,
} from "@facetracker/bus";
import { type CameraDetections, CameraTrackStage } from "@facetracker/pipeline";
import {
  Detections,
  EmbedRequest,
  EmbedResult,
  TrackEvent,
  TrackEventType,
  TrackSnapshot,
  TrackStateKind,
} from "@facetracker/proto";
import type { TrackResult } from "@facetracker/sdk";
import type { PipelineService, ServiceDeps } from "@facetracker/service-host";
import { type Box, iou } from "@facetracker/vision";

/** How long the tracker waits for the embed workers before treating the faces as not identified. */
const EMBED_TIMEOUT_MS = 10_000;

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

const toBox = (b: Box) => ({ x1: b[0], y1: b[1], x2: b[2], y2: b[3] });

/**
 * Track: consumes detections of every camera (durable consumer "track"), runs one tracking stage per
 * camera (credence, filters, re-identification schedule, identity), asks the embed workers for the faces
 * due on each frame (one request per frame), and publishes track events on ft.tracks.<camera> and a
 * per-frame snapshot of the live tracks on ft.snapshots.<camera>.
 */
export async function startTrackService({
  bus,
  config,
  logger,
  metrics,
}: ServiceDeps): Promise<PipelineService> {
  const cameras = new Map<string, CameraTrackStage>();
  const stageFor = (camera: string): CameraTrackStage => {
    let stage = cameras.get(camera);
    if (!stage) {
      stage = new CameraTrackStage(camera, config, {
        frameRate: config.cameras.find((c) => c.id === camera)?.fps ?? 25,
        identify: async (jpegs) => {
          const reply = await metrics.time("embed_request", () =>
            requestMessage(
              bus.nc,
              EMBED_SUBJECT,
              EmbedRequest,
              EmbedResult,
              {
                camera,
                seq: 0,
                topK: 3,
                items: jpegs.map((j, k) => ({ trackKey: k, alignedJpeg: Buffer.from(j) })),
              },
              EMBED_TIMEOUT_MS,
            ),
          );
          if (reply.error) throw new Error(`embed workers: ${reply.error}`);
          return reply.items.map((item) => ({
            embedding: Float32Array.from(item.vector),
            matches: item.matches,
          }));
        },
      });
      cameras.set(camera, stage);
    }
    return stage;
  };

  const consumer = await consumeMessages({
    js: bus.js,
    stream: "FT_DETECTIONS",
    durable: "track",
    filterSubject: "ft.detections.>",
    type: Detections,
    maxAckPending: 1,
    deliverPolicy: "new",
    ensureStream: () => ensureStreams(bus.jsm),
    logger,
    onDeadLetter: () => metrics.messagesDeadLettered.inc({ subject_kind: "detections" }),
    handler: async (d) => {
      metrics.messagesIn.inc({ subject_kind: "detections" });
      const input: CameraDetections = {
        seq: d.seq,
        pts: d.pts,
        width: d.width,
        height: d.height,
        sceneCut: d.sceneCut,
        faces: d.faces.map((f) => ({
          box: [f.box?.x1 ?? 0, f.box?.y1 ?? 0, f.box?.x2 ?? 0, f.box?.y2 ?? 0],
          score: f.score,
          landmarks: f.landmarks.map((p) => [p.x, p.y]),
          alignedJpeg: f.alignedJpeg,
        })),
      };
      const { frame, events } = await metrics.time("track", () => stageFor(d.camera).run(input));
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
            thumbnailJpeg: Buffer.from(face?.alignedJpeg ?? new Uint8Array()),
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
    },
  });
  return {
    readiness: () => ({ consumer: true }),
    stop: () => consumer.stop(),
  };
}
