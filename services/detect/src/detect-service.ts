import {
  CameraSceneCuts,
  type DetectedFace,
  DetectWorkerPool,
  detectionsToProto,
  type GateDecision,
  MotionGate,
  motionGateOptions,
  OrderedSteps,
  type PreparedFrame,
} from "@facetracker/pipeline";
import type { Frame } from "@facetracker/proto";
import { type PipelineService, type ServiceDeps, serviceBus } from "@facetracker/service-host";
import { Counter } from "prom-client";

/**
 * Frames in work per detect worker: one decoding (sharp, in libuv's threads) while another is in the
 * worker's models and a third waits for its plan in this thread, so no worker waits for work while
 * cameras have frames waiting. The workers run at a lower priority (detect-worker.ts), so the other
 * stages are not starved when they take every core left.
 */
const FRAMES_PER_WORKER = 3;

/**
 * Detect: consumes frames of every camera (durable consumer "detect", shared by all detect instances, so
 * several instances split the work) and publishes each frame's faces, with landmarks and aligned crops of
 * the faces whose crop is wanted, on ft.detections.<camera>, each camera's in the order its frames came.
 * Decoding and the models run in worker threads (runtime.detect_workers, one per core by default:
 * onnxruntime computes on the calling thread), FRAMES_PER_WORKER frames per worker in work at once.
 * Between decoding and detection, in each camera's frame order, this thread runs the shot-cut detector
 * and the motion gate (detection.motion: where on the frame to detect, if anywhere).
 */
export async function startDetectService(deps: ServiceDeps): Promise<PipelineService> {
  const { config, logger, metrics } = deps;
  const bus = serviceBus(deps);
  const pool = await DetectWorkerPool.start(config);
  const framesInWork = FRAMES_PER_WORKER * pool.size;
  const scenes = new CameraSceneCuts();
  const gate = new MotionGate(motionGateOptions(config));
  // Per camera: the gate sees frames in order, and detections leave in order.
  const planOrder = new OrderedSteps();
  const publishOrder = new OrderedSteps();
  const plans = new Counter({
    name: "facetracker_detect_plans_total",
    help: "Frames by where the motion gate had faces looked for: full (whole frame), regions, none, predict (stable faces carried by the tracker).",
    labelNames: ["plan"] as const,
    registers: [metrics.registry],
  });
  logger.info("detect workers started", { workers: pool.size, motionGate: gate.enabled });
  const consumer = await bus.consume("frames", {
    durable: "detect",
    maxAckPending: framesInWork + 1,
    concurrency: framesInWork,
    deliverPolicy: "new",
    handler: async (frame) => {
      const started = performance.now();
      await publishOrder.run(
        () => metrics.time("detect", () => detect(frame)),
        (detected) => publish(frame, detected, started),
        frame.camera,
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

  /** Decode (a worker), shot cut and plan (here, in the camera's frame order), detection (the worker). */
  async function detect(frame: Frame): Promise<Detected> {
    let prepared: PreparedFrame | undefined;
    let decision: GateDecision | undefined;
    let sceneCut = false;
    await planOrder
      .run(
        () => pool.prepare(frame.data),
        async (p) => {
          prepared = p;
          sceneCut = scenes.isCut(frame.camera, p.thumbnail);
          decision = gate.plan(frame.camera, p.motion, sceneCut);
        },
        frame.camera,
      )
      .catch((error: unknown) => {
        if (prepared) pool.release(prepared);
        throw error;
      });
    const p = prepared as PreparedFrame;
    const d = decision as GateDecision;
    plans.inc({ plan: d.plan.kind });
    if (d.plan.kind === "none" || d.plan.kind === "predict") {
      pool.release(p);
      return { width: p.width, height: p.height, faces: [], sceneCut, predicted: d.plan.kind === "predict" };
    }
    const faces = await pool.detectPrepared(p, d.plan, d.faces);
    gate.record(
      frame.camera,
      d,
      faces.map((f) => ({ box: f.box, score: f.score, cropped: f.alignedRgb.length > 0 })),
    );
    return { width: p.width, height: p.height, faces, sceneCut };
  }

  async function publish(frame: Frame, detected: Detected, started: number): Promise<void> {
    await bus.publish(
      "detections",
      detectionsToProto(frame, detected, detected, performance.now() - started),
    );
  }
}

interface Detected {
  width: number;
  height: number;
  faces: DetectedFace[];
  sceneCut: boolean;
  predicted?: boolean;
}
