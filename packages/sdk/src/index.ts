export { FaceRecognizer, openConfiguredGallery, type RecognizerOptions } from "./face-recognizer.ts";
export { bestThreshold, type ScoredPair, statsAt, type ThresholdStats } from "./calibration.ts";
export { analyzeOptionsFrom, embedLargestFace } from "./largest-face.ts";
export { prefetch } from "./prefetch.ts";
export type {
  BatchResult,
  EnrollOptions,
  EnrollOutcome,
  EnrollReport,
  IdentityMatch,
  RecognizedFace,
} from "./types.ts";
