// What users of the facade see, owned by the stage packages.
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
} from "@facetracker/clips";
export type { DamagedRange } from "@facetracker/media";
export type {
  FaceSummary,
  FrameInput,
  FrameResult,
  RunStats,
  StageMillis,
  TrackIdentityResult,
  TrackResult,
  VideoFaces,
} from "@facetracker/pipeline";
export { describeDamage, embedLargestFace } from "@facetracker/pipeline";
export {
  type Alert,
  type AlertDelivery,
  type ClipEvent,
  type FaceTrackingPipeline,
  NatsStoreInUseError,
  type PipelineLog,
  type PipelineLogEntry,
  type PipelineReadiness,
  type TrackEvent,
  TrackEventType,
  trackEventTypeToJSON,
} from "@facetracker/runner";
export { bestThreshold, type ScoredPair, statsAt, type ThresholdStats } from "./calibration.ts";
export { FaceRecognizer, type RecognizerOptions } from "./face-recognizer.ts";
export type { ClipFaces, FaceTrackingPipelineOptions, FindFacesInClipOptions } from "./face-tracker.ts";
export {
  FaceTracker,
  type FaceTrackerOptions,
  type FindFacesOptions,
  type PredictOptions,
} from "./face-tracker.ts";
export { prefetch } from "./prefetch.ts";
export type {
  BatchResult,
  EnrollOptions,
  EnrollOutcome,
  EnrollReport,
  IdentityMatch,
  RecognizedFace,
} from "./types.ts";
