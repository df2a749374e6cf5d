/**
 * @facetracker/clip-recording: alert clips, free of any bus. ClipRecorder places alerts into clips
 * (ClipPlanner: the window around the trigger, overlapping alerts merged), records each from the camera's
 * frame and snapshot feeds (ClipRecording, ClipEncoder: H.264 MP4, `.json` results, optionally an annotated
 * copy), hands it to the clip outbox and prunes local clips; ClipWaiter matches alerts with their clips.
 */

export type { EncoderFrame } from "./clip-encoder.ts";
export {
  type ClipMeta,
  type ClipStatus,
  clipAlertKey,
  clipMetaOf,
  preRollLoss,
} from "./clip-meta.ts";
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
  type ClipAlert,
  type ClipQueueDepths,
  ClipRecorder,
  type ClipRecorderOpenOptions,
} from "./clip-recorder.ts";
export type { ClipFeed, ClipFeeds, RecordingSettings } from "./clip-recording.ts";
export {
  buildClipResults,
  type ClipAlertInfo,
  type ClipCloseReason,
  type ClipFrameInfo,
  type ClipFrameResult,
  type ClipResults,
  type ClipResultsInput,
  type ClipSnapshot,
  type ClipTrackResult,
  chooseClipFps,
  DEFAULT_CLIP_FPS,
  estimateFps,
  type FpsSource,
  MAX_CLIP_FPS,
  snapshotLabels,
  windowCoverage,
} from "./clip-results.ts";
export { clipStorageConfig, RETENTION_INTERVAL_MS, retentionLimits } from "./clip-retention.ts";
export { ClipWaiter } from "./clip-waiter.ts";
