import type { ServiceMetrics } from "@facetracker/service-kit";
import { Counter, Gauge } from "prom-client";

/** Ingest's per-camera series, on the service's registry. */
export interface CameraMetrics {
  /** facetracker_camera_up{camera}: 1 while frames come, 0 while the camera is down, ended or failed. */
  readonly up: Gauge<"camera">;
  /** facetracker_camera_reconnects_total{camera}: attempts to open a camera again after a fault. */
  readonly reconnects: Counter<"camera">;
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
  return {
    up,
    reconnects,
    remove(camera) {
      up.remove({ camera });
      reconnects.remove({ camera });
    },
  };
}
