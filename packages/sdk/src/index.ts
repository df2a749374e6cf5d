export { bestThreshold, type ScoredPair, statsAt, type ThresholdStats } from "./calibration.ts";
export { FaceRecognizer, openConfiguredGallery, type RecognizerOptions } from "./face-recognizer.ts";
export {
  FaceTracker,
  type FaceTrackerOptions,
  type FindFacesOptions,
  type PredictOptions,
} from "./face-tracker.ts";
export { embedLargestFace } from "./largest-face.ts";
export { analyzeOptionsFrom, runtimeOptionsFrom } from "./options-from-config.ts";
export { prefetch } from "./prefetch.ts";
export { faceWithMargin } from "./track-memory.ts";
export {
  APPEARANCE_JUMP,
  type FrameObservations,
  type GalleryMatch,
  type Identification,
  type Identify,
  type SessionCounters,
  type SessionFrame,
  TrackingSession,
} from "./tracking-session.ts";
export type {
  FaceSummary,
  FrameInput,
  FrameResult,
  RunStats,
  StageMillis,
  TrackIdentityResult,
  TrackResult,
  VideoFaces,
} from "./tracking-types.ts";
export type {
  BatchResult,
  EnrollOptions,
  EnrollOutcome,
  EnrollReport,
  IdentityMatch,
  RecognizedFace,
} from "./types.ts";
