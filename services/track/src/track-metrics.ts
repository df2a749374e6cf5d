import type { ServiceDeps } from "@facetracker/service-host";

/** Track's per-camera series, on the service's registry. */
export type TrackMetrics = ReturnType<typeof createTrackMetrics>;

export function createTrackMetrics(metrics: ServiceDeps["metrics"]) {
  return {
    /** facetracker_frames_tracked_total{camera}: frames run through the camera's tracking stage. */
    framesTracked: metrics.counter(
      "facetracker_frames_tracked_total",
      "Frames of the camera run through tracking (detections in, track events out).",
      ["camera"],
    ),
    /**
     * facetracker_capture_to_track_seconds{camera}: from a frame's capture (ingest) to its track events
     * and snapshot published.
     */
    captureToTrack: metrics.histogram(
      "facetracker_capture_to_track_seconds",
      "From a frame's capture to its track events and snapshot published, seconds.",
      ["camera"],
    ),
  };
}
