/**
 * A pool of detect worker threads (detect-worker.ts), so one detect service uses every core. A frame is
 * handled in two steps on one worker: `prepare` decodes it (on the worker with the fewest frames in hand)
 * and answers its thumbnails; `detectPrepared` detects on it where the motion gate's plan says (or
 * `release` drops it). A worker that dies fails its frames (the service dead-letters them) and is started
 * again.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { FaceTrackerConfig } from "@facetracker/config";
import type { DetectedFace } from "./detect-stage.ts";
import type { DecodedFrame, DetectRequest, DetectResponse } from "./detect-worker-protocol.ts";
import type { DetectionPlan, RecentFace } from "./motion-gate.ts";

export interface DetectedFrame extends DecodedFrame {
  faces: DetectedFace[];
}

/** A frame decoded and kept by one worker, waiting for its plan. */
export interface PreparedFrame extends DecodedFrame {
  readonly worker: PoolWorker;
  readonly frame: number;
}

type Waiter = { resolve: (r: DetectResponse) => void; reject: (e: Error) => void };

interface PoolWorker {
  slot: number;
  worker: Worker;
  /** False once it exited. */
  alive: boolean;
  /** Frames in hand: from prepare until their detection ends or they are released. */
  held: number;
  pending: Map<number, Waiter>;
}

const WORKER_URL = new URL("./detect-worker.ts", import.meta.url);

const FULL: DetectionPlan = { kind: "full", reason: "disabled" };

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

  /** Frames in hand, per worker. */
  get load(): number[] {
    return this.#workers.map((w) => w.held);
  }

  /** Decodes a JPEG frame on the least busy worker, which keeps it for detectPrepared or release. */
  async prepare(jpeg: Uint8Array): Promise<PreparedFrame> {
    if (this.#closed) throw new Error("the detect worker pool is closed");
    const live = this.#workers.filter((w) => w.alive);
    if (live.length === 0) throw new Error("no detect worker is running (see the log)");
    const target = live.reduce((best, w) => (w.held < best.held ? w : best));
    const frame = this.#nextId++;
    target.held++;
    try {
      const r = await this.#ask(target, { type: "decode", id: this.#nextId++, frame, jpeg });
      if (!("type" in r) || r.type !== "decode")
        throw new Error("detect worker: unexpected answer to decode");
      const { width, height, thumbnail, motion } = r;
      return { worker: target, frame, width, height, thumbnail, motion };
    } catch (error) {
      target.held--;
      throw error;
    }
  }

  /**
   * The faces of a prepared frame where `plan` says, with landmarks and crops of every face, or given the
   * camera's recent faces (the gate's decision) of the faces whose crop is wanted.
   */
  async detectPrepared(
    prepared: PreparedFrame,
    plan: DetectionPlan,
    faces?: RecentFace[],
  ): Promise<DetectedFace[]> {
    const w = prepared.worker;
    try {
      if (!w.alive) throw new Error(`detect worker ${w.slot} exited holding the frame`);
      const request: DetectRequest = { type: "detect", id: this.#nextId++, frame: prepared.frame, plan };
      if (faces) request.faces = faces;
      const r = await this.#ask(w, request);
      if (!("type" in r) || r.type !== "detect")
        throw new Error("detect worker: unexpected answer to detect");
      return r.faces;
    } finally {
      w.held--;
    }
  }

  /** Drops a prepared frame without detecting. */
  release(prepared: PreparedFrame): void {
    const w = prepared.worker;
    w.held--;
    if (w.alive) w.worker.postMessage({ type: "release", frame: prepared.frame } satisfies DetectRequest);
  }

  /** The faces of a JPEG frame, whole frame, landmarks and crops of every face (prepare + detectPrepared). */
  async detect(jpeg: Uint8Array): Promise<DetectedFrame> {
    const prepared = await this.prepare(jpeg);
    const faces = await this.detectPrepared(prepared, FULL);
    const { width, height, thumbnail, motion } = prepared;
    return { width, height, thumbnail, motion, faces };
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#workers.map((w) => w.worker.terminate()));
  }

  #ask(w: PoolWorker, request: DetectRequest & { id: number }): Promise<DetectResponse> {
    return new Promise<DetectResponse>((resolve, reject) => {
      w.pending.set(request.id, { resolve, reject });
      w.worker.postMessage(request);
    }).then((r) => {
      if ("error" in r) throw new Error(r.error);
      return r;
    });
  }

  #spawn(slot: number): Promise<void> {
    const worker = new Worker(WORKER_URL, { workerData: { config: this.#config } });
    const entry: PoolWorker = { slot, worker, alive: true, held: 0, pending: new Map() };
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
        waiter.resolve(message);
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
