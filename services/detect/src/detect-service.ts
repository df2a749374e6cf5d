import { consumeMessages, ensureStreams, publishMessage, subject } from "@facetracker/bus";
import { CameraSceneCuts, type DetectOutput, DetectWorkerPool, OrderedSteps } from "@facetracker/pipeline";
import { Detections, Frame } from "@facetracker/proto";
import type { PipelineService, ServiceDeps } from "@facetracker/service-host";

/**
 * Detect: consumes frames of every camera (durable consumer "detect", shared by all detect instances, so
 * several instances split the work) and publishes each frame's faces, with landmarks and aligned crops,
 * on ft.detections.<camera>, in the order the frames came. Decoding and the models run in worker threads
 * (runtime.detect_workers, one per core by default: onnxruntime computes on the calling thread), two
 * frames per worker in work at once; the shot-cut detector and publishing follow frame order.
 */
export async function startDetectService({
  bus,
  config,
  logger,
  metrics,
}: ServiceDeps): Promise<PipelineService> {
  const pool = await DetectWorkerPool.start(config);
  const framesInWork = 2 * pool.size;
  const scenes = new CameraSceneCuts();
  const order = new OrderedSteps();
  logger.info("detect workers started", { workers: pool.size });
  const consumer = await consumeMessages({
    js: bus.js,
    stream: "FT_FRAMES",
    durable: "detect",
    filterSubject: "ft.frames.>",
    type: Frame,
    maxAckPending: framesInWork + 1,
    concurrency: framesInWork,
    deliverPolicy: "new",
    ensureStream: () => ensureStreams(bus.jsm),
    logger,
    onDeadLetter: () => metrics.messagesDeadLettered.inc({ subject_kind: "frames" }),
    handler: async (frame) => {
      metrics.messagesIn.inc({ subject_kind: "frames" });
      const started = performance.now();
      await order.run(
        () => metrics.time("detect", () => pool.detect(frame.data)),
        // In frame order: the shot-cut detector compares each frame with the camera's previous one.
        (detected) =>
          publish(
            frame,
            detected,
            { faces: detected.faces, sceneCut: scenes.isCut(frame.camera, detected.thumbnail) },
            started,
          ),
      );
    },
  });
  return {
    readiness: () => ({ consumer: true, workers: pool.alive > 0 || "no detect worker running" }),
    stop: async () => {
      await consumer.stop();
      await pool.close();
    },
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
