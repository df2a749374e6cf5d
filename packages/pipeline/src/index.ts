export { ALIGNED_RGB_BYTES, ALIGNED_SIZE, alignedImage } from "./aligned-crop.ts";
export { decodeClipFrame } from "./clip-frames.ts";
export {
  type ClipPlacement,
  ClipPlanner,
  type ClipPlannerOptions,
  type ClipTrigger,
  clipRolls,
  clipWindow,
  type FrameVerdict,
  type OfferedFrame,
  PlannedClip,
} from "./clip-planner.ts";
export {
  buildClipResults,
  type ClipAlertInfo,
  type ClipCloseReason,
  type ClipFrameInfo,
  type ClipFrameResult,
  type ClipResults,
  type ClipResultsInput,
  type ClipSnapshot,
  type ClipTrack,
  type ClipTrackResult,
  type ClipTrackState,
  chooseClipFps,
  DEFAULT_CLIP_FPS,
  estimateFps,
  type FpsSource,
  KNOWN_COLOR,
  MAX_CLIP_FPS,
  snapshotLabels,
  UNKNOWN_COLOR,
  windowCoverage,
} from "./clip-results.ts";
export { ClipWaiter } from "./clip-waiter.ts";
export { CameraSceneCuts, type DetectedFace, type DetectOutput, DetectStage } from "./detect-stage.ts";
export { type DetectedFrame, DetectWorkerPool } from "./detect-worker-pool.ts";
export { DropOldestQueue } from "./drop-oldest-queue.ts";
export { type EmbedItem, type EmbedItemResult, EmbedStage } from "./embed-stage.ts";
export { FrameRateCap } from "./frame-rate-cap.ts";
export { decodeJpeg, encodeFrameJpeg } from "./jpeg.ts";
export {
  drawLiveFrame,
  IDENTIFYING_COLOR,
  LiveFramePairer,
  type LiveFramePairerOptions,
  type LiveFrameRef,
  type LivePairing,
  type LiveSnapshot,
  LOST_COLOR,
  liveLabels,
  type PairedFrame,
} from "./live-annotator.ts";
export { MicroBatcher } from "./micro-batcher.ts";
export { OrderedSteps } from "./ordered-steps.ts";
export {
  type CameraDetections,
  CameraTrackStage,
  type RemoteIdentify,
  type TrackStageOutput,
} from "./track-stage.ts";
