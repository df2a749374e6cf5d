import {
  CameraSceneCuts,
  type DetectOutput,
  DetectWorkerPool,
  detectionsToProto,
  OrderedSteps,
} from "@facetracker/pipeline";
import type { Frame } from "@facetracker/proto";
import { type PipelineService, type ServiceDeps, serviceBus } from "@facetracker/service-host";

/**
 * Detect: consumes frames of every camera (durable consumer "detect", shared by all detect instances, so
 * several instances split the work) and publishes each frame's faces, with landmarks and aligned crops,
 * on ft.detections.<camera>, in the order the frames came. Decoding and the models run in worker threads
 * (runtime.detect_workers, one per core by default: onnxruntime computes on the calling thread), two
 * frames per worker in work at once; the shot-cut detector and publishing follow frame order.
 */
export async function startDetectService(deps: ServiceDeps): Promise<PipelineService> {
  const { config, logger, metrics } = deps;
  const bus = serviceBus(deps);
  const pool = await DetectWorkerPool.start(config);
  const framesInWork = 2 * pool.size;
  const scenes = new CameraSceneCuts();
  const order = new OrderedSteps();
  logger.info("detect workers started", { workers: pool.size });
  const consumer = await bus.consume("frames", {
    durable: "detect",
    maxAckPending: framesInWork + 1,
    concurrency: framesInWork,
    deliverPolicy: "new",
    handler: async (frame) => {
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
    await bus.publish("detections", detectionsToProto(frame, image, out, performance.now() - started));
  }
}
