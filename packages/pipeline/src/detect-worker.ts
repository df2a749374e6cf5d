/**
 * Detect worker thread: its own models (onnxruntime runs inference on the calling thread, so each worker
 * is one more core for detection). Decodes JPEG frames at the detector's input size (shrink-on-load, see
 * decodeJpegFrame: the full-resolution pixels are decoded only when needed) and answers their thumbnails
 * (for shot cuts and the motion gate), keeping each frame until the service says where to detect on it;
 * then answers its faces (landmarks and raw aligned crops of the faces whose crop is wanted, transferred
 * without a copy).
 * Started by DetectWorkerPool; requests in detect-worker-protocol.ts.
 */
import { setPriority } from "node:os";
import { parentPort, workerData } from "node:worker_threads";
import type { FaceTrackerConfig } from "@facetracker/config";
import { FaceAnalyzer, motionThumbnail, type RgbImage, sceneThumbnail } from "@facetracker/vision";
import { DetectStage } from "./detect-stage.ts";
import type { DetectRequest, DetectResponse } from "./detect-worker-protocol.ts";
import { decodeJpegFrame } from "./jpeg.ts";
import { runtimeOptionsFrom } from "./options-from-config.ts";

/** Decoded frames kept at most (a service that never comes back for one does not fill the memory). */
const MAX_KEPT = 64;
/**
 * Nice value of this thread (Linux sets it per thread). With frames waiting, the workers would take every
 * core, and the stages that wait on each other message by message (track, embed, ingest's decoders, the
 * bus) would queue behind them: tracks then lag seconds behind detections (measured with 8 cameras on 2
 * cores). A lower priority gives detection whatever CPU the rest leaves.
 */
const WORKER_NICE = 10;

const { config } = workerData as { config: FaceTrackerConfig };
const port = parentPort;
if (!port) throw new Error("detect-worker.ts runs as a worker thread (see DetectWorkerPool)");

try {
  setPriority(WORKER_NICE);
} catch {
  // Not permitted here (some containers): the worker runs at the service's priority.
}

const runtime = runtimeOptionsFrom(config);
// Parallelism comes from the workers: one onnxruntime thread each unless configured.
const stage = new DetectStage(
  await FaceAnalyzer.create({ ...runtime, threads: config.runtime.threads || 1 }, { embedder: false }),
  config,
);
const kept = new Map<number, RgbImage>();
port.postMessage({ ready: true });

port.on("message", async (request: DetectRequest) => {
  if (request.type === "release") {
    kept.delete(request.frame);
    return;
  }
  let response: DetectResponse;
  const transfer: ArrayBuffer[] = [];
  try {
    if (request.type === "decode") {
      // The detection copy now; the full-resolution pixels only if crops, regions or tiles need them.
      const image = await decodeJpegFrame(request.jpeg);
      if (kept.size >= MAX_KEPT) kept.delete(kept.keys().next().value as number);
      kept.set(request.frame, image);
      const thumbnail = sceneThumbnail(image);
      const motion = motionThumbnail(image);
      transfer.push(thumbnail.buffer as ArrayBuffer, motion.data.buffer as ArrayBuffer);
      response = {
        id: request.id,
        type: "decode",
        width: image.width,
        height: image.height,
        thumbnail,
        motion,
      };
    } else {
      const image = kept.get(request.frame);
      if (!image) throw new Error(`frame ${request.frame} is not kept by this detect worker`);
      kept.delete(request.frame);
      const faces = await stage.faces(image, request.plan, request.faces);
      for (const f of faces) if (f.alignedRgb.length > 0) transfer.push(f.alignedRgb.buffer as ArrayBuffer);
      response = { id: request.id, type: "detect", faces };
    }
  } catch (error) {
    response = { id: request.id, error: (error as Error).message };
  }
  port.postMessage(response, transfer);
});
