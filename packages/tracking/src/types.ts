import type { Box } from "./box.ts";

/** One detector output for the current frame. */
export interface Detection {
  box: Box;
  /** Detector confidence in [0, 1]. */
  score: number;
}

/**
 * - `tentative`: started by a detection, not yet matched on `credenceCount` frames in a row; removed
 *   as soon as it misses a frame.
 * - `confirmed`: matched on the current frame (or started confirmed when `credenceCount` is 1).
 * - `lost`: a confirmed track without a detection on this frame; still predicted and can be re-found
 *   (with the same ID) for `trackBuffer` frames.
 */
export type TrackState = "tentative" | "confirmed" | "lost";

/** A snapshot of one track after an update (a copy: mutating it does not affect the tracker). */
export interface TrackView {
  /**
   * Public track ID, assigned when the track is confirmed: 1, 2, 3… per tracker instance, strictly
   * increasing, never reused. 0 while the track is tentative (it has no ID yet).
   */
  id: number;
  /** Internal ID assigned when the track starts (tentative tracks included), never reused either. */
  trackletId: number;
  state: TrackState;
  /** The matched detection's box when matched on this frame, else the Kalman prediction. */
  box: Box;
  /** The Kalman filter's box (after the correction when matched on this frame). */
  smoothedBox: Box;
  /** Score of the last matched detection. */
  score: number;
  /** Index into this frame's detections array; null when not matched on this frame. */
  detectionIndex: number | null;
  /** Number of frames with a matched detection, the starting one included. */
  hits: number;
  /** Frames since the track started: frame − startFrame (0 on its first frame). */
  age: number;
  /** frame − lastFrame (0 when matched on this frame). */
  framesSinceUpdate: number;
  startFrame: number;
  /** Last frame with a matched detection. */
  lastFrame: number;
  /** Frame on which the track was first confirmed. */
  confirmedAt?: number;
}

export interface TrackerUpdate {
  /** Frame number of this update, starting at 1. */
  frame: number;
  /** All live tracks (tentative, confirmed, lost), in creation order. */
  tracks: TrackView[];
  /**
   * Tracks removed on this frame, with the state they had when removed: tentative tracks that missed a
   * frame, lost tracks past the buffer, and duplicates of an older track.
   */
  removed: TrackView[];
}
