/**
 * A pool of detect worker threads (detect-worker.ts), so one detect service uses every core: a frame goes
 * to the worker with the fewest frames in hand. A worker that dies fails its frames (the service
 * dead-letters them) and is started again.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { FaceTrackerConfig } from "@facetracker/config";
import type { DetectedFace } from "./detect-stage.ts";
import type { DetectRequest, DetectResponse } from "./detect-worker-protocol.ts";

export interface DetectedFrame {
  width: number;
  height: number;
  faces: DetectedFace[];
  /** 32×18 grey thumbnail for shot-cut detection (DetectStage.sceneCutThumbnail). */
  thumbnail: Float32Array;
}

interface PoolWorker {
  worker: Worker;
  /** False once it exited and could not be started again. */
  alive: boolean;
  pending: Map<number, { resolve: (f: DetectedFrame) => void; reject: (e: Error) => void }>;
}

const WORKER_URL = new URL("./detect-worker.ts", import.meta.url);

export class DetectWorkerPool {
  readonly size: number;
  readonly #config: FaceTrackerConfig;
  readonly #workers: PoolWorker[] = [];
  #nextId = 1;
  #closed = false;

  private constructor(config: FaceTrackerConfig, size: number) {
    this.#config = config;
    this.size = size;
  }

  /** Starts `runtime.detect_workers` workers (0: one per core) and waits until their models are loaded. */
  static async start(config: FaceTrackerConfig): Promise<DetectWorkerPool> {
    const size = config.runtime.detect_workers || availableParallelism();
    const pool = new DetectWorkerPool(config, size);
    try {
      await Promise.all(Array.from({ length: size }, (_, i) => pool.#spawn(i)));
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  /** Workers running. */
  get alive(): number {
    return this.#workers.filter((w) => w.alive).length;
  }

  /** Frames in work, per worker. */
  get load(): number[] {
    return this.#workers.map((w) => w.pending.size);
  }

  /** The faces of a JPEG frame. */
  detect(jpeg: Uint8Array): Promise<DetectedFrame> {
    if (this.#closed) return Promise.reject(new Error("the detect worker pool is closed"));
    const live = this.#workers.filter((w) => w.alive);
    if (live.length === 0) return Promise.reject(new Error("no detect worker is running (see the log)"));
    const target = live.reduce((best, w) => (w.pending.size < best.pending.size ? w : best));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      target.pending.set(id, { resolve, reject });
      const request: DetectRequest = { id, jpeg };
      target.worker.postMessage(request);
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#workers.map((w) => w.worker.terminate()));
  }

  #spawn(slot: number): Promise<void> {
    const worker = new Worker(WORKER_URL, { workerData: { config: this.#config } });
    const entry: PoolWorker = { worker, alive: true, pending: new Map() };
    this.#workers[slot] = entry;
    return new Promise((resolve, reject) => {
      let ready = false;
      worker.on("message", (message: DetectResponse | { ready: true }) => {
        if ("ready" in message) {
          ready = true;
          resolve();
          return;
        }
        const waiter = entry.pending.get(message.id);
        if (!waiter) return;
        entry.pending.delete(message.id);
        if ("error" in message) waiter.reject(new Error(message.error));
        else waiter.resolve(message);
      });
      worker.on("error", (error) => {
        if (!ready) reject(error);
      });
      worker.on("exit", (code) => {
        entry.alive = false;
        const error = new Error(`detect worker ${slot} exited (code ${code})`);
        for (const waiter of entry.pending.values()) waiter.reject(error);
        entry.pending.clear();
        if (!ready) reject(error);
        else if (!this.#closed) void this.#spawn(slot).catch(() => {});
      });
    });
  }
}
