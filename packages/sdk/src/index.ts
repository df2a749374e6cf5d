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
export {
  type FaceMemory,
  MemoryError,
  type MemoryHit,
  type MemorySearchOptions,
  type RememberedTrack,
  type TrackSource,
} from "@facetracker/face-memory";
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
export {
  describeDamage,
  embedPhotoFace,
  type PhotoFace,
  type PhotoFaceChoice,
} from "@facetracker/pipeline";
export {
  type Alert,
  type AlertDelivery,
  type AlertUpdate,
  type ClipEvent,
  DEFAULT_LOG_FILES,
  DEFAULT_LOG_MAX_BYTES,
  type FaceTrackingPipeline,
  LOG_DIR,
  logFilesOf,
  loggedServices,
  MAX_INSTANCES,
  NatsStoreInUseError,
  type PipelineLog,
  type PipelineLogEntry,
  type PipelineReadiness,
  PortInUseError,
  parseServiceInstances,
  resolveServiceInstances,
  type ServiceInstances,
  servicesRunAsMany,
  type TrackEvent,
  TrackEventType,
  trackEventTypeToJSON,
} from "@facetracker/runner";
// The labels of an annotated copy (findFacesInFile's `annotate`): one colour and text per kind of face.
export {
  type ChosenBy,
  FACE_COLORS,
  type FaceChoice,
  FaceChoiceError,
  type FaceKind,
  faceLabel,
  type Label,
  parseFaceBox,
} from "@facetracker/vision";
export {
  bestThreshold,
  type ErrorRates,
  errorRatesAt,
  type FarThreshold,
  type ScoredPair,
  statsAt,
  type ThresholdStats,
  thresholdForFar,
} from "./calibration.ts";
export { FaceRecognizer, type RecognizerOptions } from "./face-recognizer.ts";
export type {
  ClipFaces,
  FaceTrackingPipelineOptions,
  FindFacesInClipOptions,
  RememberOptions,
} from "./face-tracker.ts";
export {
  type AnnotateOptions,
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
  VerifyOptions,
  VerifyResult,
} from "./types.ts";
