/**
 * The live tracks of one frame as the clips and the live view draw them (from the camera's TrackSnapshot);
 * their colours and texts are the face labels of @facetracker/vision.
 */

/** State of a live track on a frame (TrackStateKind of the TrackSnapshot message, by name). */
export type ClipTrackState = "tentative" | "confirmed" | "lost" | "unspecified";

/** One live track on a frame, as a clip keeps it (from the camera's TrackSnapshot). */
export interface ClipTrack {
  /** Public track ID; 0 while tentative. */
  trackId: number;
  state: ClipTrackState;
  /** [x1, y1, x2, y2], pixels; null when the snapshot had none. */
  box: [number, number, number, number] | null;
  /** Who the face is; null = unknown. */
  identity: { id: string; name: string } | null;
  /** Similarity of the evidence of the identity (0 when unknown). */
  similarity: number;
  /**
   * No identity settled yet: `identity` null means "not known yet", not unknown (e.g. waiting for an
   * embed worker). Absent: false.
   */
  identifying?: boolean;
  /** No face good enough to tell who it is yet (face_quality): shown grey, never unknown. Absent: false. */
  undetermined?: boolean;
  /** An unknown face: the identity it came closest to, below the threshold, and its similarity. */
  closest?: { id: string; name: string; similarity: number };
}

/** The live tracks of one frame (a TrackSnapshot as the stages take it: proto-mapping.ts makes it). */
export interface FrameTracks {
  /** Sequence number of the frame. */
  seq: number;
  /** Capture time of the frame, ms since the epoch (pairs frames across ingest restarts, which reset seq). */
  timeMs: number;
  /** Tentative, confirmed and lost tracks, in creation order. */
  tracks: ClipTrack[];
}
