export { type Assignment, iouMatrix, linearAssignment } from "./assignment.ts";
export { type Box, boxArea, iou } from "./box.ts";
export {
  ByteTracker,
  type ByteTrackerSnapshot,
  type ConfirmationCheck,
  type TrackerOptions,
} from "./byte-tracker.ts";
export { KalmanFilter, type KalmanState, type ProjectedState } from "./kalman-filter.ts";
export {
  expectArray,
  expectNumber,
  expectNumbers,
  expectVersion,
  SnapshotError,
  TRACKER_SNAPSHOT_VERSION,
} from "./snapshot.ts";
export type { TrackSnapshot } from "./track.ts";
export type { Detection, TrackerUpdate, TrackState, TrackView } from "./types.ts";
