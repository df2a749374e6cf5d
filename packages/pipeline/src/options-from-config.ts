import type { FaceTrackerConfig } from "@facetracker/config";
import type { AnalyzeOptions, RuntimeOptions } from "@facetracker/vision";
import { CROP_MAX_GAP, type MotionGateOptions } from "./motion-gate.ts";

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

/** The motion gate of the tracking detect stage (detection.motion; regions follow its tiling and roi). */
export function motionGateOptions(config: FaceTrackerConfig): MotionGateOptions {
  const { motion } = config.detection;
  const detect = trackingDetectOptions(config);
  return {
    enabled: motion.enabled,
    fullFrameEvery: motion.full_frame_every,
    motion: { threshold: motion.threshold, minArea: motion.min_area, masks: motion.masks },
    confidentScore: config.detection.score_threshold,
    tiling: detect.tiling ?? "off",
    // The ReID expiration filter off asks for an embedding of every face on every frame: no stride.
    maxStride: config.face_filters.enable_reid_expiration_filter ? motion.max_stride : 1,
    // Crops follow the re-identification schedule's backoff, at most every CROP_MAX_GAP frames.
    cropMaxGap: config.face_filters.enable_reid_expiration_filter
      ? Math.min(CROP_MAX_GAP, config.face_filters.reid_expiration_frames)
      : 0,
    ...(detect.roi ? { roi: detect.roi } : {}),
  };
}
