import type { FaceTrackerConfig } from "@facetracker/config";
import type { AnalyzeOptions, RuntimeOptions } from "@facetracker/vision";

/**
 * Detection options from the configuration (detection thresholds, small-face filter, tiling, region of
 * interest). Unset tiling means `defaultTiling`: "off" for still photos, "auto" for video.
 */
export function analyzeOptionsFrom(
  config: FaceTrackerConfig,
  extra: AnalyzeOptions = {},
  defaultTiling: "auto" | "off" = "off",
): AnalyzeOptions {
  const { detection, face_filters } = config;
  const tiling = detection.tiling ?? defaultTiling;
  return {
    scoreThreshold: detection.score_threshold,
    nmsThreshold: detection.nms_threshold,
    maxFaces: detection.max_faces,
    minFaceSize: face_filters.enable_small_face_filter ? face_filters.min_face_size : 0,
    tiling:
      typeof tiling === "string"
        ? tiling
        : { tileWidth: tiling.tile_width, tileHeight: tiling.tile_height, overlap: tiling.overlap },
    ...(detection.roi ? { roi: detection.roi } : {}),
    ...extra,
  };
}

/**
 * Detection options of the tracking stage (video: tiling "auto"): detections down to the tracker's low
 * score threshold (`tracker.low_score_threshold`) feed its second association, and small faces are left to
 * the face filters (so the tracker still follows them), hence no minimum face size here.
 */
export function trackingDetectOptions(config: FaceTrackerConfig): AnalyzeOptions {
  return {
    ...analyzeOptionsFrom(config, {}, "auto"),
    scoreThreshold: config.tracker.low_score_threshold,
    minFaceSize: 0,
  };
}

/** onnxruntime options from the configuration. */
export function runtimeOptionsFrom(config: FaceTrackerConfig): RuntimeOptions {
  return {
    threads: config.runtime.threads,
    provider: config.runtime.provider,
    spin: config.runtime.spin_wait,
  };
}
