import type { FilterName } from "@facetracker/filters";
import type { Attributes } from "@facetracker/gallery";
import type { DamagedRange } from "@facetracker/media";
import type { Box, FaceQualityReason, Point, RgbImage } from "@facetracker/vision";
import type { TrackSegment } from "./track-memory.ts";

/** A decoded frame given to FaceTracker (VideoSource frames fit; index and pts default to the count). */
export interface FrameInput extends RgbImage {
  index?: number;
  /** Presentation time, seconds. */
  pts?: number;
}

export interface TrackIdentityResult {
  id: string;
  name: string;
  attributes: Attributes;
  /** Decayed average cosine similarity over the track's embeddings. */
  similarity: number;
}

/**
 * The gallery identity an unknown face came closest to, below the threshold, and its decayed average
 * similarity over the track's embeddings ("unknown — closest: obama 0.28").
 */
export interface ClosestIdentity {
  id: string;
  name: string;
  similarity: number;
}

export interface TrackResult {
  /** Public track ID (1, 2, 3 … per stream, never reused); 0 while the track is tentative. */
  trackId: number;
  state: "tentative" | "confirmed" | "lost";
  box: Box;
  score: number;
  /** 5 landmarks when computed on this frame (only for frames that needed them). */
  landmarks: Point[] | null;
  identity: TrackIdentityResult | null;
  /** While `identity` is null: the identity the face came closest to (absent when no candidate yet). */
  closest?: ClosestIdentity;
  /**
   * The identity (a name, or unknown) has been confirmed by `credence_count` agreeing embeddings; before
   * that a track is still being identified.
   */
  identitySettled: boolean;
  /**
   * No identity has been settled yet (neither a name nor unknown): the track is being identified. A
   * track whose identification waits for an embed worker stays so; it never turns unknown for lack of
   * an answer.
   */
  identifying: boolean;
  /**
   * Undetermined: the track's faces so far were all below the quality bar (too small, blurred, profile…:
   * face_quality), so nothing can be told of who it is yet; `identifying` is true too. Never alerted on as
   * unknown; becomes named or unknown once good faces come.
   */
  undetermined: boolean;
  /** An embedding was computed for this track on this frame. */
  embedded: boolean;
  /** The face filter that kept this face from being embedded on this frame. */
  filteredBy: FilterName | null;
  /** The quality verdict of the face embedded on this frame (null when none was). */
  quality: { score: number; good: boolean; reasons: FaceQualityReason[] } | null;
}

export interface FrameResult {
  /** Frame index in the source (0-based). */
  index: number;
  /** Presentation time, seconds. */
  pts: number;
  width: number;
  height: number;
  /** Live tracks: tentative, confirmed, and lost ones (predicted box, not seen on this frame). */
  tracks: TrackResult[];
  /** Public IDs of tracks that ended on this frame. */
  ended: number[];
  /** The decoded frame (for drawing or saving; do not keep it longer than needed). */
  image: RgbImage;
}

export interface StageMillis {
  decode: number;
  detect: number;
  track: number;
  landmarks: number;
  align: number;
  embed: number;
  match: number;
}

export interface RunStats {
  frames: number;
  detections: number;
  embeddings: number;
  /** Tracks split because their face turned out to be another person. */
  splits: number;
  /** Frames per second over the whole run (wall clock, decoding included). */
  fps: number;
  wallMs: number;
  /** Milliseconds spent per stage. */
  stages: StageMillis;
  /**
   * Frames of a damaged file that could not be decoded (0 for a clean file, a stream, or frames given
   * directly); `frames` counts only those decoded.
   */
  lostFrames: number;
  /** Frames of a damaged file decoded with errors (parts concealed by the decoder). */
  corruptFrames: number;
  /** Where frames were lost or decoded with errors, in seconds on the frames' timeline, in order. */
  damagedRanges: DamagedRange[];
}

/** One unique face (confirmed track) of a video. */
export interface FaceSummary {
  trackId: number;
  identity: TrackIdentityResult | null;
  /** An unknown face: the identity it came closest to, below the threshold (absent when no candidate). */
  closest?: ClosestIdentity;
  /** No face of the track was good enough to tell who it is: neither named nor unknown. */
  undetermined: boolean;
  firstFrame: number;
  lastFrame: number;
  /** Seconds. */
  firstTime: number;
  lastTime: number;
  /** Frames the face was seen on. */
  frames: number;
  /**
   * Where the face was on screen, in order: runs of frames it was seen on, split where it was unseen for
   * over a second (SEGMENT_GAP_S); times in seconds.
   */
  segments: TrackSegment[];
  /** Embeddings computed for this track. */
  embeddingsComputed: number;
  /** Best face of the track as JPEG (with margin), and the aligned 112×112 crop as JPEG. */
  thumbnail: Uint8Array | null;
  alignedThumbnail: Uint8Array | null;
  /** A few representative L2-normalised embeddings (k-means centres), for enrollment. */
  embeddings: Float32Array[];
  /**
   * Up to `memory.embeddings_per_track` of the track's embeddings with their face quality (0..1), chosen
   * for quality and diversity: what the face memory keeps of it. From the faces good enough to tell who it
   * is; for an undetermined track, from its best faces below that bar.
   */
  memoryEmbeddings: { vector: Float32Array; quality: number }[];
}

export interface VideoFaces {
  source: string;
  faces: FaceSummary[];
  stats: RunStats;
}
