import type { CandidateEmbedding } from "./representatives.ts";

/** Where a track was seen: a live camera, a video file (or stream) analysed, or a stored alert clip analysed. */
export type SourceKind = "camera" | "file" | "clip";

export interface TrackSource {
  kind: SourceKind;
  /** The camera ID (camera), the file's absolute path or the stream's URL (file), the clip's key (clip). */
  name: string;
  /** The camera: a camera source's own ID, a clip's camera; absent for a file. */
  camera?: string;
}

/** An identity and the similarity behind it (a track's decision, or the nearest identity of an unknown face). */
export interface IdentityEvidence {
  id: string;
  name: string;
  similarity: number;
}

/** What the memory keeps of one confirmed track (its embeddings aside). */
export interface RememberedTrack {
  source: TrackSource;
  /** The track ID within its source (1, 2, 3 … per camera or per analysed file). */
  trackId: number;
  /**
   * Wall-clock times, milliseconds since the Unix epoch: a camera track's first and last sighting (capture
   * times); for a file or a clip, when it was analysed (both).
   */
  firstMs: number;
  lastMs: number;
  /** Seconds into the video of the first and last sighting (files and clips; absent for cameras). */
  firstS?: number;
  lastS?: number;
  /** Who the face is (null: unknown, or not determined). */
  identity: IdentityEvidence | null;
  /** An unknown face: the identity it came closest to, below the threshold (null: none). */
  closest: IdentityEvidence | null;
  /** No face of the track was good enough to tell who it is. */
  undetermined: boolean;
  /** The best face of the track, JPEG (null: none kept). */
  thumbnail: Uint8Array | null;
  /** The alert the track raised (live cameras). */
  alertId?: string;
  /** The clip of the track: a camera track's alert clip, or the stored clip a clip track was found in. */
  clip?: { key: string; url?: string };
}

/** A finished track to remember, with its embeddings (the memory keeps up to embeddingsPerTrack of them). */
export interface TrackToRemember extends RememberedTrack {
  embeddings: CandidateEmbedding[];
}

/** One track found by a search. */
export interface MemoryHit extends RememberedTrack {
  /** The track's row in the memory. */
  id: number;
  /** Best cosine similarity of the query to the track's kept embeddings. */
  similarity: number;
}

export interface MemorySearchOptions {
  /** Only tracks of this camera (live, and stored clips of it). */
  camera?: string;
  /** Only tracks seen at or after this time (ms since the epoch; files: analysed at or after). */
  sinceMs?: number;
  /** Only tracks seen at or before this time. */
  untilMs?: number;
  /** Most tracks returned, best first (default 10). */
  limit?: number;
  /** Only tracks at least this similar (default: no bound). */
  minSimilarity?: number;
}

/**
 * What a live track event tells the memory of one camera track. Fields left out leave what is remembered
 * unchanged.
 */
export interface LiveTrackUpdate {
  camera: string;
  trackId: number;
  /** Capture time of the event's frame, ms since the epoch. */
  timeMs: number;
  /** The event starts the track (confirmed): a record of an ended track with the same ID is not reused. */
  starts?: boolean;
  /** Seen on the event's frame ("seen"), not seen ("lost"), or over ("ended"). */
  sighting: "seen" | "lost" | "ended";
  /** The identity decision, when the event settles or changes it. */
  decision?: { identity: IdentityEvidence | null; closest: IdentityEvidence | null; undetermined: boolean };
  /** Not settled yet and no face good enough so far. */
  undetermined?: boolean;
  /** A face thumbnail (JPEG) and its quality: the best one seen is kept (the later of equals). */
  thumbnail?: { jpeg: Uint8Array; quality: number };
  /** An embedding of the track's face, offered to the kept ones. */
  embedding?: CandidateEmbedding;
  /** More of them (an ended track's representative embeddings, with their face quality), offered too. */
  embeddings?: CandidateEmbedding[];
}
