export { bestThreshold, type ScoredPair, statsAt, type ThresholdStats } from "./calibration.ts";
export { FaceRecognizer, openConfiguredGallery, type RecognizerOptions } from "./face-recognizer.ts";
export type { ClipFaces, FindFacesInClipOptions } from "./face-tracker.ts";
export {
  FaceTracker,
  type FaceTrackerOptions,
  type FindFacesOptions,
  type PredictOptions,
} from "./face-tracker.ts";
export { embedLargestFace } from "./largest-face.ts";
export { analyzeOptionsFrom, runtimeOptionsFrom } from "./options-from-config.ts";
export { prefetch } from "./prefetch.ts";
export {
  type ClipReference,
  type FetchClipOptions,
  groupClipObjects,
  isClipReference,
  type ListClipsOptions,
  type LocalClipVideo,
  parseClipReference,
  type StoredClip,
  StoredClips,
  type StoredClipsOptions,
  videoKeyOf,
} from "./stored-clips.ts";
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
