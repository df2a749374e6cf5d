import { consumeMessages, ensureStreams, publishMessage, subject } from "@facetracker/bus";
import { type DetectOutput, DetectStage, decodeJpeg, OrderedSteps } from "@facetracker/pipeline";
import { Detections, Frame } from "@facetracker/proto";
import { runtimeOptionsFrom } from "@facetracker/sdk";
import type { PipelineService, ServiceDeps } from "@facetracker/service-host";
import { FaceAnalyzer } from "@facetracker/vision";

/**
 * Frames in work at once: decoding (libvips threads) and the models (onnxruntime threads) of one frame
 * overlap the JavaScript work of the next, so a detect process keeps more than one core busy.
 */
const FRAMES_IN_WORK = 2;

/**
 * Detect: consumes frames of every camera (durable consumer "detect", shared by all detect instances, so
 * several instances split the work) and publishes each frame's faces, with landmarks and aligned crops,
 * on ft.detections.<camera>, in the order the frames came (a few frames are in work at once).
 */
export async function startDetectService({
  bus,
  config,
  logger,
  metrics,
}: ServiceDeps): Promise<PipelineService> {
  const stage = new DetectStage(await FaceAnalyzer.create(runtimeOptionsFrom(config)), config);
  const order = new OrderedSteps();
  const consumer = await consumeMessages({
    js: bus.js,
    stream: "FT_FRAMES",
    durable: "detect",
    filterSubject: "ft.frames.>",
    type: Frame,
    maxAckPending: FRAMES_IN_WORK + 1,
    concurrency: FRAMES_IN_WORK,
    deliverPolicy: "new",
    ensureStream: () => ensureStreams(bus.jsm),
    logger,
    onDeadLetter: () => metrics.messagesDeadLettered.inc({ subject_kind: "frames" }),
    handler: async (frame) => {
      metrics.messagesIn.inc({ subject_kind: "frames" });
      const started = performance.now();
      await order.run(
        async () => {
          const image = await decodeJpeg(frame.data);
          return { image, faces: await metrics.time("detect", () => stage.faces(image)) };
        },
        // In frame order: the shot-cut detector compares each frame with the camera's previous one.
        ({ image, faces }) =>
          publish(frame, image, { faces, sceneCut: stage.sceneCut(frame.camera, image) }, started),
      );
    },
  });
  return {
    readiness: () => ({ consumer: true }),
    stop: () => consumer.stop(),
  };

  async function publish(
    frame: Frame,
    image: { width: number; height: number },
    out: DetectOutput,
    started: number,
  ): Promise<void> {
    await publishMessage(
      bus.js,
      subject("detections", frame.camera),
      Detections,
      {
        camera: frame.camera,
        seq: frame.seq,
        pts: frame.pts,
        capturedAtMs: frame.capturedAtMs,
        width: image.width,
        height: image.height,
        sceneCut: out.sceneCut,
        detectMs: performance.now() - started,
        faces: out.faces.map((f) => ({
          box: { x1: f.box[0], y1: f.box[1], x2: f.box[2], y2: f.box[3] },
          score: f.score,
          landmarks: f.landmarks.map(([x, y]) => ({ x, y })),
          alignedRgb: Buffer.from(f.alignedRgb.buffer, f.alignedRgb.byteOffset, f.alignedRgb.length),
        })),
      },
      { ensureStream: () => ensureStreams(bus.jsm) },
    );
    metrics.messagesOut.inc({ subject_kind: "detections" });
  }
}
