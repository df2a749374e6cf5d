import type { FaceTrackerConfig } from "@facetracker/config";
import { chooseRepresentatives } from "@facetracker/face-memory";
import { type FaceFilterConfig, needsLandmarks, rejectingFilter } from "@facetracker/filters";
import type { Attributes } from "@facetracker/gallery";
import { faceChanged, ReidScheduler, representativeEmbeddings, TrackIdentity } from "@facetracker/identity";
import {
  ByteTracker,
  type ByteTrackerSnapshot,
  expectArray,
  expectNumber,
  expectVersion,
  type TrackView,
} from "@facetracker/tracking";
import {
  assessFaceQuality,
  type Box,
  type Detection,
  encodeJpeg,
  type FaceQuality,
  type FaceQualityOptions,
  type Point,
  type RgbImage,
} from "@facetracker/vision";
import { TrackMemory, type TrackMemorySnapshot } from "./track-memory.ts";
import type { ClosestIdentity, FaceSummary, TrackIdentityResult, TrackResult } from "./tracking-types.ts";

/** Ended live tracks whose representatives wait for their ended event, at most. */
const MAX_ENDED_REPRESENTATIVES = 256;

/**
 * A new embedding less similar than this to every recent embedding of its track is another person (the
 * tracker followed a box across a cut or a swap): the track is split. One person's embeddings within a
 * track score 0.4 and up in our clips (see docs/tracking.md).
 */
export const APPEARANCE_JUMP = 0.2;

/**
 * Largest gap (frames) between two embeddings of an undetermined track (no face good enough yet): a better
 * face (nearer, sharper, turned to the camera) is caught within 8 frames, a third of a second at 25 fps,
 * while a crowd of tiny faces is not embedded on every frame.
 */
export const UNDETERMINED_MAX_GAP = 8;

/**
 * What the tracking stage needs of one frame: its detections, and on demand the landmarks and aligned crop
 * of a detection. In one process these are computed lazily from the frame (only for the faces due for an
 * embedding); in the distributed pipeline they arrive precomputed in the detection message.
 */
export interface FrameObservations {
  index: number;
  /** Presentation time, seconds. */
  pts: number;
  width: number;
  height: number;
  /** The frame starts a new shot (every track is then re-embedded at once). */
  sceneCut: boolean;
  detections: Detection[];
  /** 5 landmarks of detection i. */
  landmarks(i: number): Promise<Point[]>;
  /** 112×112 aligned crop of detection i. */
  aligned(i: number, landmarks: Point[]): Promise<RgbImage>;
  /** The face of detection i with some margin, for thumbnails (default: the aligned crop). */
  faceCrop?(i: number): RgbImage;
  /**
   * Whether detection i's landmarks and crop can be had on this frame (default: yes). The detect service
   * sends them only for the faces it expects to be due: a due face without them stays due for a later
   * frame.
   */
  hasCrop?(i: number): boolean;
  /**
   * No detection ran on this frame (the detect stage predicted it, its faces being stable): the tracks
   * move on by their Kalman filters and keep their states; `detections` is empty.
   */
  predicted?: boolean;
}

export interface GalleryMatch {
  identityId: string;
  name: string;
  attributes: Attributes;
  similarity: number;
}

export interface Identification {
  embedding: Float32Array;
  /** Norm of the embedding before L2 normalisation, when the embedder gives it (a face-quality signal). */
  norm?: number;
  /** The nearest identities (a few), best first. */
  matches: GalleryMatch[];
}

/**
 * Embeds aligned faces and matches them against the gallery, in one batch (one result per face). Throws
 * IdentificationUnavailableError when nothing could identify them now (no embed worker answered).
 */
export type Identify = (faces: RgbImage[]) => Promise<Identification[]>;

/**
 * Thrown by an {@link Identify} that could not get an answer now (no embed worker, no reply in time, the
 * bus down). For the session it is no evidence, never "unknown": the faces stay due and are asked for
 * again on a later frame, and a track not identified yet stays identifying meanwhile.
 */
export class IdentificationUnavailableError extends Error {
  override name = "IdentificationUnavailableError";
}

export interface SessionCounters {
  frames: number;
  detections: number;
  embeddings: number;
  /** Tracks split because their face turned out to be another person. */
  splits: number;
  /** Milliseconds in landmarks, alignment, identification (embed + match) and the tracker. */
  landmarksMs: number;
  alignMs: number;
  identifyMs: number;
  trackMs: number;
}

export interface SessionFrame {
  index: number;
  pts: number;
  tracks: TrackResult[];
  /** Public IDs of tracks that ended on this frame. */
  ended: number[];
}

/** Format version of {@link TrackingSessionSnapshot}. */
export const SESSION_SNAPSHOT_VERSION = 1;

/**
 * A session's state as plain JSON (its configuration is not included): the tracker, and per track its
 * memory (re-identification schedule, identity evidence, embeddings as base64 of their bytes, best face,
 * sightings). Restored into a session built with the same configuration, it goes on exactly as the
 * original would have.
 */
export interface TrackingSessionSnapshot {
  v: typeof SESSION_SNAPSHOT_VERSION;
  tracker: ByteTrackerSnapshot;
  counters: SessionCounters;
  /** Memories of the live tracks, in the order they started. */
  tracks: TrackMemorySnapshot[];
  /** Memories of ended confirmed tracks, for summaries (none without `keepSummaries`). */
  finished: TrackMemorySnapshot[];
}

export interface TrackingSessionOptions {
  frameRate: number;
  identify: Identify;
  /**
   * Keep what {@link TrackingSession.summaries} reports (default true): ended tracks, representative
   * embeddings, best faces. Off for a session that runs for ever and never summarises (a camera in the
   * track service): its memory and its snapshots then stay bounded by the live tracks.
   */
  keepSummaries?: boolean;
}

interface Due {
  result: TrackResult;
  view: TrackView;
  memory: TrackMemory;
  landmarks: Point[];
  aligned: RgbImage;
}

/**
 * The tracking stage of one stream: ByteTrack, credence, face filters, the adaptive re-identification
 * schedule, identity evidence per track, splits on appearance jumps, and per-track memory (best face,
 * representative embeddings). Pure stage code: frames in, per-frame track results out; detection and
 * identification are supplied by the caller (in-process models, or the bus).
 */
export class TrackingSession {
  readonly counters: SessionCounters = {
    frames: 0,
    detections: 0,
    embeddings: 0,
    splits: 0,
    landmarksMs: 0,
    alignMs: 0,
    identifyMs: 0,
    trackMs: 0,
  };
  readonly #config: FaceTrackerConfig;
  readonly #threshold: number;
  readonly #identify: Identify;
  readonly #tracker: ByteTracker;
  readonly #filters: FaceFilterConfig;
  readonly #quality: FaceQualityOptions;
  readonly #memory = new Map<number, TrackMemory>();
  readonly #finished: TrackMemory[] = [];
  /** Live tracks that just ended: their representative embeddings, until their ended event takes them. */
  readonly #endedRepresentatives = new Map<number, { vector: Float32Array; quality: number }[]>();
  readonly #keepSummaries: boolean;

  constructor(config: FaceTrackerConfig, options: TrackingSessionOptions) {
    this.#config = config;
    this.#keepSummaries = options.keepSummaries ?? true;
    this.#threshold = config.cosine_similarity_threshold;
    this.#identify = options.identify;
    this.#filters = config.face_filters;
    this.#quality = config.face_quality;
    // A tentative track whose every judged face was no human face (a coat of arms, a poster's fragment) is
    // held tentative: it gets no public ID until one of its faces is face-like.
    const mayConfirm = (trackletId: number) => this.#memory.get(trackletId)?.mayConfirm ?? true;
    this.#tracker = new ByteTracker(
      {
        highThreshold: config.detection.score_threshold,
        newTrackThreshold: config.detection.score_threshold,
        lowThreshold: config.tracker.low_score_threshold,
        matchThreshold: config.tracker.match_threshold,
        trackBuffer: config.tracker.track_buffer,
        frameRate: options.frameRate,
        credenceCount: config.credence_count,
      },
      mayConfirm,
    );
  }

  async process(frame: FrameObservations): Promise<SessionFrame> {
    const { index, pts } = frame;
    const c = this.counters;
    if (frame.sceneCut) for (const memory of this.#memory.values()) memory.scheduler.expire();

    let t = performance.now();
    const update = frame.predicted ? this.#tracker.predict() : this.#tracker.update(frame.detections);
    c.trackMs += performance.now() - t;

    // 1. Every live track: its result, and whether its face is due for an embedding.
    const tracks: TrackResult[] = [];
    const candidates: { result: TrackResult; view: TrackView; memory: TrackMemory }[] = [];
    for (const view of update.tracks) {
      const memory = this.#memory.get(view.trackletId) ?? this.#remember(view.trackletId, index, pts);
      memory.trackId = view.id;
      const result: TrackResult = {
        trackId: view.id,
        state: view.state,
        box: view.box,
        score: view.score,
        landmarks: null,
        identity: identityResult(memory),
        ...closestResult(memory),
        identitySettled: memory.identitySettled,
        identifying: !memory.identified,
        undetermined: memory.undetermined,
        embedded: false,
        filteredBy: null,
        quality: null,
      };
      tracks.push(result);
      if (view.detectionIndex === null) {
        // A predicted frame: the box filters judge the predicted box as they judge a detected one.
        if (frame.predicted && view.state !== "lost") {
          memory.carried(index, pts);
          result.filteredBy = rejectingFilter({ box: view.box }, this.#filters);
        }
        continue;
      }
      if (memory.lastBox && faceChanged(memory.lastBox, view.box)) memory.scheduler.expire();
      memory.seen(index, pts, view.box);
      result.filteredBy = rejectingFilter({ box: view.box }, this.#filters);
      if (
        !result.filteredBy &&
        memory.scheduler.isDue(index) &&
        frame.hasCrop?.(view.detectionIndex) !== false
      )
        candidates.push({ result, view, memory });
    }

    // 2. Landmarks (and the filters that need them) and aligned crops of the due faces.
    const due: Due[] = [];
    for (const { result, view, memory } of candidates) {
      const i = view.detectionIndex as number;
      t = performance.now();
      const landmarks = await frame.landmarks(i);
      c.landmarksMs += performance.now() - t;
      result.landmarks = landmarks;
      if (needsLandmarks(this.#filters)) {
        result.filteredBy = rejectingFilter({ box: view.box, landmarks }, this.#filters);
        if (result.filteredBy) continue;
      }
      t = performance.now();
      const aligned = await frame.aligned(i, landmarks);
      c.alignMs += performance.now() - t;
      due.push({ result, view, memory, landmarks, aligned });
    }

    // 3. One identification batch for the frame. Unavailable (no embed worker answered): no evidence;
    // the faces stay due (their schedule is untouched), so a later frame asks again.
    const ended: number[] = [];
    if (due.length > 0) {
      t = performance.now();
      const identified = await this.#identify(due.map((d) => d.aligned)).catch((error: unknown) => {
        if (error instanceof IdentificationUnavailableError) return [];
        throw error;
      });
      c.identifyMs += performance.now() - t;
      due.forEach((d, k) => {
        const id = identified[k];
        if (id) this.#apply(d, id, frame, ended);
      });
    }

    for (const gone of update.removed) {
      const memory = this.#memory.get(gone.trackletId);
      this.#memory.delete(gone.trackletId);
      if (memory && gone.id > 0) {
        memory.trackId = gone.id;
        if (this.#keepSummaries) this.#finished.push(memory);
        else this.#keepEndedRepresentatives(memory);
        ended.push(gone.id);
      }
    }
    c.frames++;
    c.detections += frame.detections.length;
    return { index, pts, tracks, ended };
  }

  /**
   * Applies one embedding to its track: split on an appearance jump, the face's quality, identity evidence
   * (from a good face only: a face below the quality bar is no evidence of a name nor of "unknown", and a
   * track with only such faces stays undetermined), schedule, memory.
   */
  #apply(d: Due, id: Identification, frame: FrameObservations, ended: number[]): void {
    let { view, memory } = d;
    const { result, landmarks, aligned } = d;
    const likeBefore = memory.recentSimilarity(id.embedding);
    if (likeBefore !== undefined && likeBefore < APPEARANCE_JUMP) {
      ({ view, memory } = this.#split(view, memory, frame.index, frame.pts, ended));
      result.trackId = view.id;
      result.state = view.state;
    }
    const quality = this.#judge(d, view, memory, id, likeBefore);
    if (quality.good) {
      const before = memory.identity.identity?.id ?? null;
      const decision = memory.identity.add(
        id.matches.map((m) => ({ id: m.identityId, name: m.name, similarity: m.similarity })),
      );
      memory.identitySettled = decision.settled;
      if (decision.settled) memory.identified = true;
      const named = id.matches.find((m) => m.identityId === decision.identity?.id);
      if (named) memory.attributes = named.attributes;
      const changed = (decision.identity?.id ?? null) !== before;
      memory.scheduler.recordEmbedding(
        frame.index,
        changed ? "identity_changed" : decision.settled ? undefined : "unknown",
      );
    } else {
      // No evidence: the schedule backs off (a crowd of tiny faces is not embedded on every frame), at most
      // to UNDETERMINED_MAX_GAP while the track is undetermined; a face that grows or moves a lot is due
      // again at once (faceChanged).
      memory.scheduler.recordEmbedding(
        frame.index,
        undefined,
        memory.goodFaces === 0 ? UNDETERMINED_MAX_GAP : undefined,
      );
    }
    // Representative embeddings (what enrollment from a video takes) only from good faces.
    memory.keepEmbedding(id.embedding, this.#keepSummaries && quality.good, quality.score);
    // A live track keeps no list of its embeddings: a few representatives for the face memory, online.
    if (!this.#keepSummaries) {
      memory.offerLiveRepresentative(
        id.embedding,
        quality.good,
        quality.score,
        this.#config.memory.embeddings_per_track,
      );
    }
    // An undetermined track's best faces, for the face memory (it finds the track from them).
    if (this.#keepSummaries && !quality.good) memory.keepFallbackEmbedding(id.embedding, quality.score);
    const i = view.detectionIndex as number;
    if (this.#keepSummaries) {
      memory.offerFace(
        frame.index,
        view.box,
        view.score,
        landmarks,
        aligned,
        () => frame.faceCrop?.(i) ?? aligned,
      );
    }
    this.counters.embeddings++;
    result.embedded = true;
    result.identity = identityResult(memory);
    const closest = closestResult(memory).closest;
    if (closest) result.closest = closest;
    else delete result.closest;
    result.identitySettled = memory.identitySettled;
    result.identifying = !memory.identified;
    result.undetermined = memory.undetermined;
    result.quality = { score: quality.score, good: quality.good, reasons: quality.reasons };
  }

  /** The quality verdict of a due face (face_quality), recorded in the track's memory. */
  #judge(d: Due, view: TrackView, memory: TrackMemory, id: Identification, likeBefore?: number): FaceQuality {
    const quality = assessFaceQuality(
      {
        box: view.box,
        score: view.score,
        landmarks: d.landmarks,
        aligned: d.aligned,
        embedding: id.embedding,
        ...(id.norm !== undefined ? { embeddingNorm: id.norm } : {}),
        ...(likeBefore !== undefined ? { trackSimilarity: likeBefore } : {}),
        ...(memory.previousFace ? { previous: memory.previousFace } : {}),
      },
      this.#quality,
    );
    memory.judgeFace(view.box, d.landmarks, quality);
    return quality;
  }

  #remember(trackletId: number, frame: number, pts: number): TrackMemory {
    const memory = new TrackMemory(trackletId, frame, pts, this.#scheduler(), this.#trackIdentity());
    this.#memory.set(trackletId, memory);
    return memory;
  }

  #scheduler(): ReidScheduler {
    return new ReidScheduler({
      enabled: this.#config.face_filters.enable_reid_expiration_filter,
      maxGap: this.#config.face_filters.reid_expiration_frames,
    });
  }

  #trackIdentity(): TrackIdentity {
    return new TrackIdentity({ threshold: this.#threshold, credence: this.#config.credence_count });
  }

  /** The track's face is someone else: the track ends and a new one, with a new ID, starts on this frame. */
  #split(view: TrackView, memory: TrackMemory, index: number, pts: number, ended: number[]) {
    const replacement = this.#tracker.split(view.trackletId);
    if (!replacement) return { view, memory };
    this.#memory.delete(view.trackletId);
    if (memory.trackId > 0) {
      if (this.#keepSummaries) this.#finished.push(memory);
      else this.#keepEndedRepresentatives(memory);
      ended.push(memory.trackId);
    }
    const fresh = this.#remember(replacement.trackletId, index, pts);
    fresh.trackId = replacement.id;
    fresh.seen(index, pts, replacement.box as Box);
    this.counters.splits++;
    return { view: replacement, memory: fresh };
  }

  /**
   * The face of a live track (public ID): the mean of its recent embeddings, L2-normalised; undefined
   * for a track not embedded yet or not live. What the alert stage compares a new track's face with.
   */
  /**
   * The representative embeddings of a live track that ended on the last frame processed (for its ended
   * event), once: undefined when none or asked already.
   */
  takeEndedRepresentatives(trackId: number): { vector: Float32Array; quality: number }[] | undefined {
    const found = this.#endedRepresentatives.get(trackId);
    this.#endedRepresentatives.delete(trackId);
    return found;
  }

  #keepEndedRepresentatives(memory: TrackMemory): void {
    if (memory.liveRepresentatives.length === 0) return;
    this.#endedRepresentatives.set(memory.trackId, memory.liveRepresentatives);
    // Not asked for (no ended event derived): the oldest go, so that this stays small.
    while (this.#endedRepresentatives.size > MAX_ENDED_REPRESENTATIVES) {
      this.#endedRepresentatives.delete(this.#endedRepresentatives.keys().next().value as number);
    }
  }

  faceEmbedding(trackId: number): Float32Array | undefined {
    for (const memory of this.#memory.values()) {
      if (memory.trackId === trackId) return memory.meanRecentEmbedding();
    }
    return undefined;
  }

  /** The session's state, JSON-able (see {@link TrackingSessionSnapshot}). */
  snapshot(): TrackingSessionSnapshot {
    return {
      v: SESSION_SNAPSHOT_VERSION,
      tracker: this.#tracker.snapshot(),
      counters: { ...this.counters },
      tracks: [...this.#memory.values()].map((m) => m.snapshot()),
      finished: this.#finished.map((m) => m.snapshot()),
    };
  }

  /**
   * Replaces this session's state with a snapshot's (taken by a session with the same configuration).
   * Throws, leaving the session as it was, for another format version or a malformed snapshot.
   */
  restore(snapshot: TrackingSessionSnapshot): void {
    const s = expectVersion("TrackingSession", snapshot, SESSION_SNAPSHOT_VERSION);
    const memories = (field: "tracks" | "finished") =>
      expectArray(`TrackingSession.${field}`, s[field]).map((m, i) =>
        TrackMemory.fromSnapshot(
          m as TrackMemorySnapshot,
          this.#scheduler(),
          this.#trackIdentity(),
          `TrackingSession.${field}[${i}]`,
        ),
      );
    const live = memories("tracks");
    const finished = memories("finished");
    const counters = s.counters as Partial<SessionCounters> | undefined;
    const restored = Object.fromEntries(
      Object.keys(this.counters).map((k) => [
        k,
        expectNumber(`TrackingSession.counters.${k}`, counters?.[k as keyof SessionCounters]),
      ]),
    ) as unknown as SessionCounters;
    this.#tracker.restore(s.tracker as ByteTrackerSnapshot);
    Object.assign(this.counters, restored);
    this.#memory.clear();
    for (const m of live) this.#memory.set(m.trackletId, m);
    this.#finished.length = 0;
    this.#finished.push(...finished);
  }

  /**
   * One summary per confirmed track (ended or still live), by track ID. Without `keepSummaries`, only the
   * live tracks, without thumbnails or embeddings.
   */
  async summaries(): Promise<FaceSummary[]> {
    const all = [...this.#finished, ...[...this.#memory.values()].filter((m) => m.trackId > 0)];
    const out: FaceSummary[] = [];
    for (const m of all.sort((a, b) => a.trackId - b.trackId)) {
      out.push({
        trackId: m.trackId,
        identity: identityResult(m),
        ...closestResult(m),
        undetermined: m.undetermined,
        firstFrame: m.firstFrame,
        lastFrame: m.lastFrame,
        firstTime: m.firstTime,
        lastTime: m.lastTime,
        frames: m.frames,
        segments: m.segments.map((g) => ({ ...g })),
        embeddingsComputed: m.embeddingCount,
        thumbnail: m.best ? await encodeJpeg(m.best.crop, 85) : null,
        alignedThumbnail: m.best ? await encodeJpeg(m.best.aligned, 90) : null,
        embeddings: representativeEmbeddings(m.embeddings, 3),
        memoryEmbeddings: chooseRepresentatives(
          m.embeddings.length > 0
            ? m.embeddings.map((vector, i) => ({ vector, quality: m.embeddingQualities[i] ?? 0 }))
            : m.fallbackEmbeddings,
          this.#config.memory.embeddings_per_track,
        ),
      });
    }
    return out;
  }
}

/** `{ closest }` when the track's face is unknown and some identity came closest; `{}` otherwise. */
function closestResult(memory: TrackMemory): { closest?: ClosestIdentity } {
  if (memory.identity.identity) return {};
  const closest = memory.identity.closest;
  return closest ? { closest: { ...closest } } : {};
}

function identityResult(memory: TrackMemory): TrackIdentityResult | null {
  const id = memory.identity.identity;
  return id
    ? { id: id.id, name: id.name, attributes: memory.attributes, similarity: memory.identity.confidence }
    : null;
}
