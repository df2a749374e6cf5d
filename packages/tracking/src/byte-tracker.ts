/**
 * ByteTrack (Zhang et al., 2022) for faces, modelled on ByteTrack's / supervision's `byte_tracker.py`:
 *
 * 1. Confirmed and lost tracks are predicted by their Kalman filter and matched to high-score
 *    detections on cost 1 − IoU·score (Hungarian, `matchThreshold`). A matched lost track is re-found.
 * 2. Confirmed tracks still unmatched are matched to low-score detections on 1 − IoU
 *    (`secondMatchThreshold`); those still unmatched become lost.
 * 3. Tentative tracks are matched to the high-score detections left over, on 1 − IoU·score
 *    (`unconfirmedMatchThreshold`); a tentative track left unmatched is removed.
 * 4. High-score detections still unmatched and scoring at least `newTrackThreshold` start tentative tracks.
 * 5. Lost tracks unmatched for more than the buffer are removed, then duplicates (a tracked and a lost
 *    track with IoU > 0.85) are resolved by keeping the one tracked longer.
 *
 * Differences from the reference: tentative tracks are predicted too before matching (ByteTrack
 * matches them on their last corrected state); a track is confirmed after `credenceCount` matched
 * frames (supervision's `minimum_consecutive_frames`) with no special case for the first frame; and
 * public IDs are handed out at confirmation, so confirmed IDs are dense (1, 2, 3…) and false positives
 * that never get confirmed use none.
 */

import { iouMatrix, linearAssignment } from "./assignment.ts";
import { boxArea, isValidBox } from "./box.ts";
import { KalmanFilter } from "./kalman-filter.ts";
import { expectArray, expectNumber, expectVersion, TRACKER_SNAPSHOT_VERSION } from "./snapshot.ts";
import { Track, type TrackSnapshot } from "./track.ts";
import type { Detection, TrackerUpdate, TrackView } from "./types.ts";

/**
 * A tracker's state (not its options) as plain JSON: every live track with its Kalman state, the frame
 * number and the ID counters. Restored into a tracker built with the same options, it goes on exactly as
 * the original would have.
 */
export interface ByteTrackerSnapshot {
  v: typeof TRACKER_SNAPSHOT_VERSION;
  frame: number;
  nextTrackletId: number;
  nextId: number;
  /** Live tracks (tentative, confirmed, lost), in creation order. */
  tracks: TrackSnapshot[];
}

export interface TrackerOptions {
  /** Detections scoring at or above this go to the first association (and may start tracks). Default 0.5. */
  highThreshold?: number;
  /** Detections scoring at or above this and below `highThreshold` only continue confirmed tracks
   * (second association); lower ones are ignored. Default 0.1. */
  lowThreshold?: number;
  /** An unmatched high-score detection scoring at or above this starts a tentative track. Default 0.6. */
  newTrackThreshold?: number;
  /** Highest cost 1 − IoU·score for the first association (confirmed and lost tracks). Default 0.8. */
  matchThreshold?: number;
  /** Highest cost 1 − IoU for the second association (low-score detections). Default 0.5. */
  secondMatchThreshold?: number;
  /** Highest cost 1 − IoU·score for matching tentative tracks. Default 0.7. */
  unconfirmedMatchThreshold?: number;
  /** Frames a lost track is kept (and can be re-found) before removal, at 30 fps. Default 30. */
  trackBuffer?: number;
  /** Stream frame rate: the buffer becomes round(frameRate / 30 × trackBuffer) frames. Default 30. */
  frameRate?: number;
  /** Frames with a matched detection (the first included, in a row) before a tentative track is
   * confirmed; 1 confirms a track on its first frame. Default 3. */
  credenceCount?: number;
  /** Detections with a smaller box area (px²) are ignored. Default 0. */
  minBoxArea?: number;
}

/**
 * Asked when a tentative track has had its `credenceCount` frames: false holds it tentative (no public
 * ID) for now; it is asked again on each later frame the track is matched. The tracking session holds a
 * track whose every judged face was no human face (face_quality), so that a coat of arms is never confirmed.
 */
export type ConfirmationCheck = (trackletId: number) => boolean;

type ResolvedOptions = Required<TrackerOptions>;

const DEFAULT_OPTIONS: ResolvedOptions = {
  highThreshold: 0.5,
  lowThreshold: 0.1,
  newTrackThreshold: 0.6,
  matchThreshold: 0.8,
  secondMatchThreshold: 0.5,
  unconfirmedMatchThreshold: 0.7,
  trackBuffer: 30,
  frameRate: 30,
  credenceCount: 3,
  minBoxArea: 0,
};

/** A tracked and a lost track overlapping more than this are the same face (ByteTrack: distance < 0.15). */
const DUPLICATE_IOU = 0.85;

export class ByteTracker {
  readonly #options: ResolvedOptions;
  readonly #lostTrackBuffer: number;
  readonly #filter = new KalmanFilter();
  #tracks: Track[] = [];
  #frame = 0;
  #nextTrackletId = 1;
  #nextId = 1;
  readonly #mayConfirm: ConfirmationCheck;

  constructor(options: TrackerOptions = {}, mayConfirm: ConfirmationCheck = () => true) {
    this.#options = resolveOptions(options);
    this.#mayConfirm = mayConfirm;
    this.#lostTrackBuffer = Math.round((this.#options.frameRate / 30) * this.#options.trackBuffer);
  }

  /** Number of the last processed frame (0 before the first update). */
  get frame(): number {
    return this.#frame;
  }

  /** Frames a lost track is kept: trackBuffer scaled by frameRate / 30. */
  get lostTrackBuffer(): number {
    return this.#lostTrackBuffer;
  }

  /**
   * Drops every track and restarts frame numbering at 1. ID counters keep going: IDs stay unique for
   * the lifetime of the instance (create a new tracker to start again at 1).
   */
  reset(): void {
    this.#tracks = [];
    this.#frame = 0;
  }

  /**
   * Ends a track and starts a new, confirmed one in its place (new tracklet and public ID, same box and
   * motion state reset) on the current frame: for when the face turns out to be someone else (its
   * appearance jumped, e.g. across a shot cut). Returns the new track's view, or undefined when no live
   * track has that tracklet ID. The ended track is not reported again in `removed`.
   */
  split(trackletId: number): TrackView | undefined {
    const i = this.#tracks.findIndex((t) => t.trackletId === trackletId);
    const old = this.#tracks[i];
    if (!old) return undefined;
    const box = old.matchedBox ?? old.smoothedBox;
    const track = new Track(
      this.#filter,
      this.#nextTrackletId++,
      { box, score: old.score },
      old.detectionIndex ?? -1,
      this.#frame,
    );
    track.detectionIndex = old.detectionIndex;
    track.matchedBox = old.matchedBox;
    track.confirm(this.#nextId++, this.#frame);
    this.#tracks[i] = track;
    return track.view(this.#frame);
  }

  /** The tracker's state, JSON-able (see {@link ByteTrackerSnapshot}). */
  snapshot(): ByteTrackerSnapshot {
    return {
      v: TRACKER_SNAPSHOT_VERSION,
      frame: this.#frame,
      nextTrackletId: this.#nextTrackletId,
      nextId: this.#nextId,
      tracks: this.#tracks.map((t) => t.snapshot()),
    };
  }

  /**
   * Replaces this tracker's state with a snapshot's (its options stay). Throws a SnapshotError, leaving
   * the tracker as it was, for another format version or a malformed snapshot.
   */
  restore(snapshot: ByteTrackerSnapshot): void {
    const s = expectVersion("ByteTracker", snapshot, TRACKER_SNAPSHOT_VERSION);
    const tracks = expectArray("ByteTracker.tracks", s.tracks).map((t, i) =>
      Track.fromSnapshot(this.#filter, t as TrackSnapshot, `ByteTracker.tracks[${i}]`),
    );
    const frame = expectNumber("ByteTracker.frame", s.frame, true);
    const nextTrackletId = expectNumber("ByteTracker.nextTrackletId", s.nextTrackletId, true);
    const nextId = expectNumber("ByteTracker.nextId", s.nextId, true);
    this.#tracks = tracks;
    this.#frame = frame;
    this.#nextTrackletId = nextTrackletId;
    this.#nextId = nextId;
  }

  /** Processes one frame's detections (an empty array for a frame without any). */
  update(detections: readonly Detection[]): TrackerUpdate {
    const frame = ++this.#frame;
    const o = this.#options;
    const high: number[] = [];
    const low: number[] = [];
    detections.forEach((detection, index) => {
      if (!this.#isUsable(detection)) return;
      if (detection.score >= o.highThreshold) high.push(index);
      else if (detection.score >= o.lowThreshold) low.push(index);
    });

    for (const track of this.#tracks) track.predict();
    const tentative = this.#tracks.filter((t) => t.state === "tentative");
    const pool = this.#tracks.filter((t) => t.state !== "tentative");
    const removed = new Set<Track>();

    // 1. Confirmed and lost tracks ↔ high-score detections.
    const first = linearAssignment(fusedCost(pool, high, detections), o.matchThreshold, high.length);
    for (const [row, column] of first.matches) {
      const index = high[column] as number;
      (pool[row] as Track).update(detections[index] as Detection, index, frame);
    }

    // 2. Confirmed tracks left ↔ low-score detections; the rest become lost.
    const unmatchedTracked = first.unmatchedRows
      .map((r) => pool[r] as Track)
      .filter((t) => t.state === "confirmed");
    const second = linearAssignment(
      iouCost(unmatchedTracked, low, detections),
      o.secondMatchThreshold,
      low.length,
    );
    for (const [row, column] of second.matches) {
      const index = low[column] as number;
      (unmatchedTracked[row] as Track).update(detections[index] as Detection, index, frame);
    }
    for (const row of second.unmatchedRows) (unmatchedTracked[row] as Track).state = "lost";

    // 3. Tentative tracks ↔ high-score detections left; unmatched tentative tracks are dropped.
    const highLeft = first.unmatchedColumns.map((c) => high[c] as number);
    const third = linearAssignment(
      fusedCost(tentative, highLeft, detections),
      o.unconfirmedMatchThreshold,
      highLeft.length,
    );
    for (const [row, column] of third.matches) {
      const track = tentative[row] as Track;
      const index = highLeft[column] as number;
      track.update(detections[index] as Detection, index, frame);
      if (track.hits >= o.credenceCount && this.#mayConfirm(track.trackletId)) {
        track.confirm(this.#nextId++, frame);
      }
    }
    for (const row of third.unmatchedRows) removed.add(tentative[row] as Track);

    // 4. New tracks from confident detections nobody claimed.
    for (const column of third.unmatchedColumns) {
      const index = highLeft[column] as number;
      const detection = detections[index] as Detection;
      if (detection.score < o.newTrackThreshold) continue;
      const track = new Track(this.#filter, this.#nextTrackletId++, detection, index, frame);
      if (o.credenceCount <= 1 && this.#mayConfirm(track.trackletId)) track.confirm(this.#nextId++, frame);
      this.#tracks.push(track);
    }

    // 5. Expired lost tracks, then duplicates.
    for (const track of this.#tracks) {
      if (track.state === "lost" && frame - track.lastFrame > this.#lostTrackBuffer) removed.add(track);
    }
    const live = this.#tracks.filter((t) => !removed.has(t));
    for (const track of duplicates(live)) removed.add(track);

    this.#tracks = this.#tracks.filter((t) => !removed.has(t));
    return {
      frame,
      tracks: this.#tracks.map((t) => t.view(frame)),
      removed: [...removed].sort((a, b) => a.trackletId - b.trackletId).map((t) => t.view(frame)),
    };
  }

  /**
   * A frame the detector did not look at (the detect stage predicted it: its faces were stable): every
   * track moves on by its Kalman filter, set on its last detection and observed velocity (Track.carry),
   * and keeps its state (no detection is no evidence that a face left), so nothing is confirmed, lost or
   * re-found; lost tracks past the buffer are removed as on any frame. Views carry the predicted boxes and
   * no detection index.
   */
  predict(): TrackerUpdate {
    const frame = ++this.#frame;
    for (const track of this.#tracks) {
      if (track.state === "lost") track.predict();
      else track.carry();
    }
    const removed = this.#tracks.filter(
      (t) => t.state === "lost" && frame - t.lastFrame > this.#lostTrackBuffer,
    );
    this.#tracks = this.#tracks.filter((t) => !removed.includes(t));
    return {
      frame,
      tracks: this.#tracks.map((t) => t.view(frame)),
      removed: removed.map((t) => t.view(frame)),
    };
  }

  #isUsable(detection: Detection): boolean {
    return (
      Number.isFinite(detection.score) &&
      isValidBox(detection.box) &&
      boxArea(detection.box) >= this.#options.minBoxArea
    );
  }
}

/** 1 − IoU·score (ByteTrack's `fuse_score`): a weak detection needs more overlap to match. */
function fusedCost(tracks: readonly Track[], indices: readonly number[], detections: readonly Detection[]) {
  const boxes = indices.map((i) => (detections[i] as Detection).box);
  const scores = indices.map((i) => (detections[i] as Detection).score);
  return iouMatrix(
    tracks.map((t) => t.smoothedBox),
    boxes,
  ).map((row) => row.map((overlap, j) => 1 - overlap * (scores[j] as number)));
}

function iouCost(tracks: readonly Track[], indices: readonly number[], detections: readonly Detection[]) {
  const boxes = indices.map((i) => (detections[i] as Detection).box);
  return iouMatrix(
    tracks.map((t) => t.smoothedBox),
    boxes,
  ).map((row) => row.map((overlap) => 1 - overlap));
}

/**
 * ByteTrack's `remove_duplicate_stracks`: for each tracked (tentative or confirmed) and lost pair
 * overlapping with IoU > 0.85, the one tracked for fewer frames (lastFrame − startFrame) goes; on a tie,
 * the tracked one.
 */
function duplicates(tracks: readonly Track[]): Set<Track> {
  const tracked = tracks.filter((t) => t.state !== "lost");
  const lost = tracks.filter((t) => t.state === "lost");
  const out = new Set<Track>();
  const overlaps = iouMatrix(
    tracked.map((t) => t.smoothedBox),
    lost.map((t) => t.smoothedBox),
  );
  tracked.forEach((a, i) => {
    lost.forEach((b, j) => {
      if ((overlaps[i]?.[j] as number) <= DUPLICATE_IOU) return;
      const trackedFor = (t: Track) => t.lastFrame - t.startFrame;
      out.add(trackedFor(a) > trackedFor(b) ? b : a);
    });
  });
  return out;
}

function resolveOptions(options: TrackerOptions): ResolvedOptions {
  const resolved: ResolvedOptions = { ...DEFAULT_OPTIONS };
  for (const key of Object.keys(DEFAULT_OPTIONS) as (keyof ResolvedOptions)[]) {
    const value = options[key];
    if (value === undefined) continue;
    if (!Number.isFinite(value)) throw new RangeError(`tracker option ${key} must be a finite number`);
    resolved[key] = value;
  }
  if (resolved.lowThreshold > resolved.highThreshold) {
    throw new RangeError("tracker option lowThreshold must not exceed highThreshold");
  }
  if (!Number.isInteger(resolved.trackBuffer) || resolved.trackBuffer < 0) {
    throw new RangeError("tracker option trackBuffer must be a non-negative integer");
  }
  if (!Number.isInteger(resolved.credenceCount) || resolved.credenceCount < 1) {
    throw new RangeError("tracker option credenceCount must be a positive integer");
  }
  if (resolved.frameRate <= 0) throw new RangeError("tracker option frameRate must be positive");
  if (resolved.minBoxArea < 0) throw new RangeError("tracker option minBoxArea must not be negative");
  return resolved;
}
