/**
 * The restream's own Prometheus series, per camera: frames in, out and dropped (by reason), how frames got
 * their snapshot, publisher restarts, and whether a publisher runs.
 */

import type { ServiceMetrics } from "@facetracker/service-kit";
import { Counter, Gauge } from "prom-client";

type LabelledCounter<L extends string> = Counter<L>;
type LabelledGauge<L extends string> = Gauge<L>;

export interface RestreamMetrics {
  /** facetracker_restream_frames_in_total{camera}: frames received. */
  framesIn: LabelledCounter<"camera">;
  /** facetracker_restream_frames_out_total{camera}: annotated frames handed to the publisher. */
  framesOut: LabelledCounter<"camera">;
  /**
   * facetracker_restream_frames_dropped_total{camera,reason}: rate_cap (beyond max_fps), publisher_busy (a
   * newer frame took its place), publisher_down (waiting to restart), undecodable, not_jpeg, stopping.
   */
  framesDropped: LabelledCounter<"camera" | "reason">;
  /** facetracker_restream_pairings_total{camera,pairing}: exact, nearest or none (see Pairing of @facetracker/pipeline). */
  pairings: LabelledCounter<"camera" | "pairing">;
  /** facetracker_restream_restarts_total{camera}: publishers (ffmpeg, ffplay) that ended and were restarted. */
  restarts: LabelledCounter<"camera">;
  /** facetracker_restream_publishing{camera}: 1 while a publisher runs. */
  publishing: LabelledGauge<"camera">;
}

/** Registers the restream series on the service's registry. */
export function createRestreamMetrics(metrics: ServiceMetrics): RestreamMetrics {
  const registers = [metrics.registry];
  const counter = <L extends string>(name: string, help: string, labelNames: L[]) =>
    new Counter<L>({ name: `facetracker_restream_${name}`, help, labelNames, registers });
  return {
    framesIn: counter("frames_in_total", "Frames received, per camera.", ["camera"]),
    framesOut: counter("frames_out_total", "Annotated frames handed to the publisher, per camera.", [
      "camera",
    ]),
    framesDropped: counter("frames_dropped_total", "Frames dropped, per camera and reason.", [
      "camera",
      "reason",
    ]),
    pairings: counter("pairings_total", "How frames got their track snapshot (exact, nearest, none).", [
      "camera",
      "pairing",
    ]),
    restarts: counter("restarts_total", "Publishers (ffmpeg, ffplay) that ended and were restarted.", [
      "camera",
    ]),
    publishing: new Gauge<"camera">({
      name: "facetracker_restream_publishing",
      help: "1 while the camera's publisher runs.",
      labelNames: ["camera"],
      registers,
    }),
  };
}
