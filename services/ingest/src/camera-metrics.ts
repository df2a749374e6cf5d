import type { ServiceMetrics } from "@facetracker/service-kit";
import { Counter, Gauge } from "prom-client";

/** Ingest's per-camera series, on the service's registry. */
export interface CameraMetrics {
  /** facetracker_camera_up{camera}: 1 while frames come, 0 while the camera is down, ended or failed. */
  readonly up: Gauge<"camera">;
  /** facetracker_camera_reconnects_total{camera}: attempts to open a camera again after a fault. */
  readonly reconnects: Counter<"camera">;
  /** facetracker_frames_in_total{camera}: frames published on ft.frames.<camera> (frames/s: its rate()). */
  readonly framesIn: Counter<"camera">;
  /** A camera starting: down until its first frame, its counters shown from 0 (so that rate() has a start). */
  start(camera: string): void;
  /** Forgets a camera removed from the registry. */
  remove(camera: string): void;
}

export function createCameraMetrics(metrics: ServiceMetrics): CameraMetrics {
  const registers = [metrics.registry];
  const up = new Gauge({
    name: "facetracker_camera_up",
    help: "1 while the camera delivers frames, 0 while it is down (reconnecting), ended or failed.",
    labelNames: ["camera"] as const,
    registers,
  });
  const reconnects = new Counter({
    name: "facetracker_camera_reconnects_total",
    help: "Attempts to open a camera again after it could not be opened, dropped, stalled or disappeared.",
    labelNames: ["camera"] as const,
    registers,
  });
  const framesIn = new Counter({
    name: "facetracker_frames_in_total",
    help: "Frames of the camera published to the pipeline (ft.frames.<camera>).",
    labelNames: ["camera"] as const,
    registers,
  });
  return {
    up,
    reconnects,
    framesIn,
    start(camera) {
      up.set({ camera }, 0);
      reconnects.inc({ camera }, 0);
      framesIn.inc({ camera }, 0);
    },
    remove(camera) {
      up.remove({ camera });
      reconnects.remove({ camera });
      framesIn.remove({ camera });
    },
  };
}
