/**
 * Detect worker thread: its own models (onnxruntime runs inference on the calling thread, so each worker
 * is one more core for detection). Receives JPEG frames, answers their faces (landmarks, raw aligned
 * crops, transferred without a copy) and the frame's scene thumbnail. Started by DetectWorkerPool.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { FaceTrackerConfig } from "@facetracker/config";
import { FaceAnalyzer, sceneThumbnail } from "@facetracker/vision";
import { DetectStage } from "./detect-stage.ts";
import type { DetectRequest, DetectResponse } from "./detect-worker-protocol.ts";
import { decodeJpeg } from "./jpeg.ts";
import { runtimeOptionsFrom } from "./options-from-config.ts";

const { config } = workerData as { config: FaceTrackerConfig };
const port = parentPort;
if (!port) throw new Error("detect-worker.ts runs as a worker thread (see DetectWorkerPool)");

const runtime = runtimeOptionsFrom(config);
// Parallelism comes from the workers: one onnxruntime thread each unless configured.
const stage = new DetectStage(
  await FaceAnalyzer.create({ ...runtime, threads: config.runtime.threads || 1 }, { embedder: false }),
  config,
);
port.postMessage({ ready: true });

port.on("message", async (request: DetectRequest) => {
  let response: DetectResponse;
  const transfer: ArrayBuffer[] = [];
  try {
    const image = await decodeJpeg(request.jpeg);
    const faces = await stage.faces(image);
    for (const f of faces) transfer.push(f.alignedRgb.buffer as ArrayBuffer);
    const thumbnail = sceneThumbnail(image);
    transfer.push(thumbnail.buffer as ArrayBuffer);
    response = { id: request.id, width: image.width, height: image.height, faces, thumbnail };
  } catch (error) {
    response = { id: request.id, error: (error as Error).message };
  }
  port.postMessage(response, transfer);
});
