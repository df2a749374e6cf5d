export { ALIGNED_RGB_BYTES, alignedImage } from "./aligned-crop.ts";
export { AnnotatedCopy, type AnnotatedSource, type AnnotateOptions } from "./annotated-copy.ts";
export { CaptureBuffer, type CaptureBufferOptions, type CapturedItem } from "./capture-buffer.ts";
export { openConfiguredGallery } from "./configured-gallery.ts";
export { CameraSceneCuts, type DetectedFace, type DetectOutput, DetectStage } from "./detect-stage.ts";
export { type DetectedFrame, DetectWorkerPool, type PreparedFrame } from "./detect-worker-pool.ts";
export { DropOldestQueue } from "./drop-oldest-queue.ts";
export { type EmbedItem, type EmbedItemResult, EmbedStage, type EmbedStageTimes } from "./embed-stage.ts";
export {
  agreeingGroups,
  conflictSimilarity,
  type EnrolledFaces,
  type EnrollmentCandidate,
  type EnrollmentDecision,
  enrollAccepted,
  enrollmentName,
  enrollmentQuality,
  reviewEnrollment,
  SAME_PICTURE_SIMILARITY,
} from "./enrollment-policy.ts";
export {
  openConfiguredMemory,
  rememberVideoFaces,
  storedClipSource,
  videoFileSource,
} from "./face-memory-records.ts";
export { FrameRateCap } from "./frame-rate-cap.ts";
export {
  type FrameRef,
  FrameSnapshotPairer,
  type PairedFrame,
  type Pairing,
  type PairingPolicy,
} from "./frame-snapshot-pairer.ts";
export type { ClipTrack, ClipTrackState, FrameTracks } from "./frame-tracks.ts";
export { decodeJpeg, encodeFrameJpeg } from "./jpeg.ts";
export { drawLiveFrame, LIVE_PAIRING, liveLabels } from "./live-annotator.ts";
export {
  type LiveDropReason,
  type LiveFrameOutput,
  type LiveJpegFrame,
  LiveRestream,
  type LiveRestreamOptions,
} from "./live-restream.ts";
export {
  type LiveMode,
  type LiveTarget,
  liveModeOf,
  liveTargetOf,
  type RegisteredCamera,
  rtspUrlOf,
  sameTarget,
} from "./live-targets.ts";
export { MicroBatcher } from "./micro-batcher.ts";
export {
  CROP_MAX_GAP,
  cropWanted,
  type DetectionPlan,
  type FullFrameReason,
  type GateDecision,
  MotionGate,
  type MotionGateOptions,
  type MotionGateStats,
  type RecentFace,
  type RecordedDetection,
} from "./motion-gate.ts";
export {
  analyzeOptionsFrom,
  motionGateOptions,
  runtimeOptionsFrom,
  trackingDetectOptions,
} from "./options-from-config.ts";
export { OrderedSteps } from "./ordered-steps.ts";
export {
  type EnrollmentModels,
  type EnrollOptions,
  type EnrollOutcome,
  type EnrollReport,
  embedPhotoFace,
  enrollFromPhotos,
  type PhotoFace,
  type PhotoFaceChoice,
  photoLabel,
} from "./photo-enrollment.ts";
export {
  alertToMemoryLink,
  boxFromProto,
  boxToProto,
  clipToMemoryLink,
  detectionsFromProto,
  detectionsToProto,
  enrollOutcomeToProto,
  type FrameStamp,
  faceChoiceFromProto,
  memoryHitToProto,
  trackEventFromProto,
  trackEventToMemoryUpdate,
  trackEventToProto,
  trackSnapshotFromProto,
  trackSnapshotToProto,
} from "./proto-mapping.ts";
export {
  type Correction,
  CorrectionError,
  type CorrectionOutcome,
  type CorrectionRequest,
  correctTrack,
  type UndoOutcome,
  undoCorrection,
} from "./track-correction.ts";
export {
  addToSegments,
  faceWithMargin,
  SEGMENT_GAP_S,
  type TrackSegment,
} from "./track-memory.ts";
export {
  type CameraDetections,
  CameraTrackStage,
  type RemoteIdentify,
  type TrackStageOutput,
} from "./track-stage.ts";
export { describeDamage, frameLossOf, TrackingRun } from "./tracking-run.ts";
export {
  APPEARANCE_JUMP,
  type FrameObservations,
  type GalleryMatch,
  type Identification,
  IdentificationUnavailableError,
  type Identify,
  type SessionCounters,
  type SessionFrame,
  TrackingSession,
  type TrackingSessionOptions,
  type TrackingSessionSnapshot,
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
export {
  type FindFacesOptions,
  findVideoFaces,
  openVideoSource,
  type PredictOptions,
  type TrackingModels,
  trackFrames,
} from "./video-faces.ts";
export {
  enrollVisitor,
  VISITOR_FACES_ENROLLED,
  type VisitorEnrollment,
  VisitorEnrollmentError,
} from "./visitor-enrollment.ts";
