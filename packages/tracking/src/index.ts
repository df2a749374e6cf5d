export { type Assignment, iouMatrix, linearAssignment } from "./assignment.ts";
export { type Box, boxArea, iou } from "./box.ts";
export { ByteTracker, type TrackerOptions } from "./byte-tracker.ts";
export { KalmanFilter, type KalmanState, type ProjectedState } from "./kalman-filter.ts";
export type { Detection, TrackerUpdate, TrackState, TrackView } from "./types.ts";
