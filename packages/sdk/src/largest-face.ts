import type { FaceTrackerConfig } from "@facetracker/config";
import { type AnalyzedFace, type AnalyzeOptions, decodeImage, type FaceAnalyzer, type ImageInput, type RgbImage } from "@facetracker/vision";

/** Detection options from the configuration (detection thresholds, small-face filter). */
export function analyzeOptionsFrom(config: FaceTrackerConfig, extra: AnalyzeOptions = {}): AnalyzeOptions {
  const { detection, face_filters } = config;
  return {
    scoreThreshold: detection.score_threshold,
    nmsThreshold: detection.nms_threshold,
    maxFaces: detection.max_faces,
    minFaceSize: face_filters.enable_small_face_filter ? face_filters.min_face_size : 0,
    ...extra,
  };
}

/** The largest face of an image with its embedding, or undefined when the image has no face. */
export async function embedLargestFace(
  analyzer: FaceAnalyzer,
  image: ImageInput,
  options: AnalyzeOptions,
): Promise<{ face: AnalyzedFace & { embedding: Float32Array }; decoded: RgbImage } | undefined> {
  const decoded = await decodeImage(image);
  const [face] = await analyzer.analyze(decoded, { ...options, largestOnly: true, embed: true });
  return face?.embedding ? { face: face as AnalyzedFace & { embedding: Float32Array }, decoded } : undefined;
}
