import { resolveFile } from "@facetracker/models";
import ort from "onnxruntime-node";

export interface RuntimeOptions {
  /** Threads inside one operator (onnxruntime intra-op threads); 0 lets onnxruntime choose. */
  threads?: number;
  /** Execution provider: "cpu" (default) or "cuda" where an NVIDIA GPU and onnxruntime's CUDA build exist. */
  provider?: "cpu" | "cuda";
  /** Let onnxruntime's worker threads busy-wait between operators (lower latency with spare cores). */
  spin?: boolean;
}

export type Session = ort.InferenceSession;
export const Tensor = ort.Tensor;

/** Creates an inference session for a manifest model (checksum-verified); create once, reuse for every call. */
export async function createSession(model: string, options: RuntimeOptions = {}): Promise<Session> {
  const file = resolveFile(model);
  try {
    return await ort.InferenceSession.create(file, {
      executionProviders: [options.provider ?? "cpu"],
      intraOpNumThreads: options.threads ?? 0,
      interOpNumThreads: 1,
      graphOptimizationLevel: "all",
      executionMode: "sequential",
      // Busy-waiting worker threads fight the Node thread (and sharp's) on small machines: measured 3× slower
      // embeddings on 2 cores with spinning on. Opt in where cores are plenty.
      extra: { session: { intra_op: { allow_spinning: options.spin ? "1" : "0" } } },
    });
  } catch (error) {
    throw new Error(`cannot load model ${file}: ${(error as Error).message}`, { cause: error });
  }
}
