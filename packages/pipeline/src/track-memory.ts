import { chooseRepresentatives } from "@facetracker/face-memory";
import { isFrontal } from "@facetracker/filters";
import type {
  ReidScheduler,
  ReidSchedulerSnapshot,
  TrackIdentity,
  TrackIdentitySnapshot,
} from "@facetracker/identity";
import { expectArray, expectNumber, expectNumbers, SnapshotError } from "@facetracker/tracking";
import { type Box, cropImage, type Point, type RgbImage } from "@facetracker/vision";
import {
  decodeFloat32,
  decodeImage,
  encodeFloat32,
  encodeImage,
  type ImageSnapshot,
} from "./snapshot-codec.ts";

/** Most embeddings kept per track (evenly thinned beyond that) for representative embeddings. */
const MAX_KEPT_EMBEDDINGS = 64;
/** Embeddings compared with a new one to tell whether the face is still the same person. */
const RECENT_EMBEDDINGS = 3;
/** Embeddings of faces below the quality bar kept (the best ones) while no good face came. */
const MAX_FALLBACK_EMBEDDINGS = 8;
/** A track unseen for longer than this, seconds, was off screen: its visible segments split there. */
export const SEGMENT_GAP_S = 1;
/** Most visible segments kept per track (beyond that, the two closest are merged). */
export const MAX_SEGMENTS = 200;

/** A stretch of a track on screen: the frames it was seen on, with no gap over SEGMENT_GAP_S. */
export interface TrackSegment {
  firstFrame: number;
  lastFrame: number;
  /** Seconds. */
  firstTime: number;
  lastTime: number;
}

/**
 * Adds a frame the track was seen on (`frame` at `time` s, in order) to its segments: the last segment
 * grows, or a new one starts after a gap over `gapS`; beyond `max` segments the two with the shortest gap
 * between them become one.
 */
export function addToSegments(
  segments: TrackSegment[],
  frame: number,
  time: number,
  gapS = SEGMENT_GAP_S,
  max = MAX_SEGMENTS,
): void {
  const last = segments[segments.length - 1];
  if (last && time - last.lastTime <= gapS) {
    last.lastFrame = frame;
    last.lastTime = time;
    return;
  }
  segments.push({ firstFrame: frame, lastFrame: frame, firstTime: time, lastTime: time });
  if (segments.length <= max) return;
  let at = 1;
  for (let i = 2; i < segments.length; i++) {
    const gap = (s: number) =>
      (segments[s] as TrackSegment).firstTime - (segments[s - 1] as TrackSegment).lastTime;
    if (gap(i) < gap(at)) at = i;
  }
  const [next] = segments.splice(at, 1) as [TrackSegment];
  const before = segments[at - 1] as TrackSegment;
  before.lastFrame = next.lastFrame;
  before.lastTime = next.lastTime;
}

export interface BestFace {
  quality: number;
  frame: number;
  box: Box;
  /** Face with some margin, cut from the frame. */
  crop: RgbImage;
  /** 112×112 aligned crop (what the embedder saw). */
  aligned: RgbImage;
}

/** A track memory as plain JSON: embeddings and images as base64 of their bytes (part of a session snapshot). */
export interface TrackMemorySnapshot {
  trackletId: number;
  trackId: number;
  scheduler: ReidSchedulerSnapshot;
  identity: TrackIdentitySnapshot;
  /** Kept embeddings (for representative embeddings), then the last few (appearance jumps). */
  embeddings: string[];
  /**
   * The face quality (0..1) of each kept embedding. Absent in snapshots taken before it existed: read as 0
   * each.
   */
  embeddingQualities?: number[];
  /**
   * While no good face came: the best embeddings of the faces below the quality bar, with their quality
   * (for the face memory). Absent in snapshots taken before it existed: none.
   */
  fallbackEmbeddings?: { vector: string; quality: number }[];
  /**
   * A live track's representative embeddings for the face memory (kept online, a few), and whether they
   * are of good faces. Absent in snapshots taken before they existed: none.
   */
  liveRepresentatives?: { vector: string; quality: number }[];
  liveRepresentativesGood?: boolean;
  recent: string[];
  embeddingCount: number;
  keepEvery: number;
  best: (Omit<BestFace, "crop" | "aligned"> & { crop: ImageSnapshot; aligned: ImageSnapshot }) | null;
  firstFrame: number;
  lastFrame: number;
  firstTime: number;
  lastTime: number;
  frames: number;
  /** The visible segments (absent in snapshots taken before they existed: one, first to last sighting). */
  segments?: TrackSegment[];
  lastBox: Box | null;
  identitySettled: boolean;
  /**
   * The identity (a name, or unknown) has been settled at least once. Absent in snapshots taken before it
   * existed: then read as identitySettled, or a name decided.
   */
  identified?: boolean;
  attributes: Record<string, string>;
  /** The face-quality record (absent in snapshots taken before it existed: read as no face judged). */
  quality?: TrackQualitySnapshot;
}

/** What a track's faces have shown of their quality (see {@link TrackMemory.judgeFace}). */
export interface TrackQualitySnapshot {
  judged: number;
  good: number;
  faceLike: boolean;
  /** The last judged face (box and 5 landmarks), for landmark consistency. */
  previous: { box: Box; landmarks: Point[] } | null;
}

/**
 * Everything FaceTracker remembers about one track: its re-identification schedule, identity evidence,
 * kept embeddings, best face, and first/last sighting.
 */
export class TrackMemory {
  readonly trackletId: number;
  trackId = 0;
  readonly scheduler: ReidScheduler;
  readonly identity: TrackIdentity;
  readonly embeddings: Float32Array[] = [];
  /** The face quality (0..1) of each kept embedding, in the same order. */
  readonly embeddingQualities: number[] = [];
  /**
   * While no embedding is kept (no good face yet): the best few embeddings of the track's faces below the
   * quality bar, best first, so that the face memory can still find an undetermined track.
   */
  readonly fallbackEmbeddings: { vector: Float32Array; quality: number }[] = [];
  /** A live track's few embeddings for the face memory (see offerLiveRepresentative). */
  liveRepresentatives: { vector: Float32Array; quality: number }[] = [];
  /** Whether liveRepresentatives are of good faces (else the best faces below the bar). */
  liveRepresentativesGood = false;
  embeddingCount = 0;
  best: BestFace | undefined;
  firstFrame: number;
  lastFrame: number;
  firstTime: number;
  lastTime: number;
  /** Frames with a matched detection. */
  frames = 0;
  /** Where the track was on screen: runs of frames seen, split at gaps over SEGMENT_GAP_S. */
  readonly segments: TrackSegment[] = [];
  lastBox: Box | undefined;
  /** The identity decision has `credence_count` agreeing embeddings behind it. */
  identitySettled = false;
  /**
   * The identity has been settled at least once (a name or unknown was decided). Until then the track is
   * identifying, however long its embeddings take (an embed worker missing included).
   */
  identified = false;
  /** Attributes of the identity the track carries (from the gallery hit). */
  attributes: Record<string, string> = {};
  /** Faces judged by the quality gate, and how many were good enough to tell who it is. */
  judgedFaces = 0;
  goodFaces = 0;
  /** One judged face was a human face (face_quality's faceLike): the track may be confirmed. */
  faceLikeSeen = false;
  /** The last judged face, for landmark consistency across frames. */
  previousFace: { box: Box; landmarks: Point[] } | undefined;
  #keepEvery = 1;

  constructor(
    trackletId: number,
    frame: number,
    time: number,
    scheduler: ReidScheduler,
    identity: TrackIdentity,
  ) {
    this.trackletId = trackletId;
    this.scheduler = scheduler;
    this.identity = identity;
    this.firstFrame = frame;
    this.lastFrame = frame;
    this.firstTime = time;
    this.lastTime = time;
  }

  /** Records the quality verdict of one of the track's faces. */
  judgeFace(box: Box, landmarks: Point[], verdict: { good: boolean; faceLike: boolean }): void {
    this.judgedFaces++;
    if (verdict.good) this.goodFaces++;
    if (verdict.faceLike) this.faceLikeSeen = true;
    this.previousFace = { box: [...box], landmarks: landmarks.map((p) => [p[0], p[1]] as Point) };
  }

  /**
   * Undetermined: faces were judged, none good enough to tell who it is, and no identity settled (a track
   * named or unknown stays so whatever its later faces).
   */
  get undetermined(): boolean {
    return !this.identified && this.judgedFaces > 0 && this.goodFaces === 0;
  }

  /** May be confirmed: no face judged yet (nothing says it is no face), or one face-like face seen. */
  get mayConfirm(): boolean {
    return this.judgedFaces === 0 || this.faceLikeSeen;
  }

  seen(frame: number, time: number, box: Box): void {
    this.carried(frame, time);
    this.lastBox = box;
  }

  /** On screen on a frame the detector did not look at (carried by the tracker): counted, not its box. */
  carried(frame: number, time: number): void {
    this.frames++;
    addToSegments(this.segments, frame, time);
    this.lastFrame = frame;
    this.lastTime = time;
  }

  /** The last few embeddings, newest last. */
  readonly recent: Float32Array[] = [];

  /** Best cosine similarity of `vector` to the track's recent embeddings (undefined before the first). */
  recentSimilarity(vector: Float32Array): number | undefined {
    let best: number | undefined;
    for (const r of this.recent) {
      let dot = 0;
      for (let i = 0; i < r.length; i++) dot += (r[i] as number) * (vector[i] as number);
      best = best === undefined ? dot : Math.max(best, dot);
    }
    return best;
  }

  /** The mean of the recent embeddings, L2-normalised (undefined before the first). */
  meanRecentEmbedding(): Float32Array | undefined {
    const first = this.recent[0];
    if (!first) return undefined;
    const mean = new Float32Array(first.length);
    for (const r of this.recent)
      for (let i = 0; i < mean.length; i++) mean[i] = (mean[i] as number) + (r[i] as number);
    let norm = 0;
    for (const x of mean) norm += x * x;
    norm = Math.sqrt(norm);
    if (norm > 0) for (let i = 0; i < mean.length; i++) mean[i] = (mean[i] as number) / norm;
    return mean;
  }

  /**
   * Records an embedding among the recent ones and, with `keep` (for representative embeddings), keeps
   * embeddings evenly spread over the track, at most MAX_KEPT_EMBEDDINGS, each with its face's `quality`.
   */
  keepEmbedding(vector: Float32Array, keep = true, quality = 0): void {
    this.recent.push(vector);
    if (this.recent.length > RECENT_EMBEDDINGS) this.recent.shift();
    this.embeddingCount++;
    if (!keep || (this.embeddingCount - 1) % this.#keepEvery !== 0) return;
    this.embeddings.push(vector);
    this.embeddingQualities.push(quality);
    if (this.embeddings.length >= MAX_KEPT_EMBEDDINGS) {
      const thinned = this.embeddings.filter((_, i) => i % 2 === 0);
      const qualities = this.embeddingQualities.filter((_, i) => i % 2 === 0);
      this.embeddings.length = 0;
      this.embeddings.push(...thinned);
      this.embeddingQualities.length = 0;
      this.embeddingQualities.push(...qualities);
      this.#keepEvery *= 2;
    }
  }

  /**
   * Offers an embedding to a live track's few representatives for the face memory, kept online (a live
   * track keeps no list of its embeddings): the best `k` for quality and diversity (chooseRepresentatives)
   * of those kept and this one; only good faces once one came, else the best faces below the bar.
   */
  offerLiveRepresentative(vector: Float32Array, good: boolean, quality: number, k: number): void {
    if (!good && this.liveRepresentativesGood) return;
    if (good && !this.liveRepresentativesGood) {
      this.liveRepresentatives = [];
      this.liveRepresentativesGood = true;
    }
    this.liveRepresentatives = chooseRepresentatives([...this.liveRepresentatives, { vector, quality }], k);
  }

  /**
   * Offers the embedding of a face below the quality bar: kept among the best MAX_FALLBACK_EMBEDDINGS while
   * no good face's embedding is kept (dropped once one is).
   */
  keepFallbackEmbedding(vector: Float32Array, quality: number): void {
    if (this.embeddings.length > 0) {
      this.fallbackEmbeddings.length = 0;
      return;
    }
    const at = this.fallbackEmbeddings.findIndex((e) => e.quality < quality);
    this.fallbackEmbeddings.splice(at < 0 ? this.fallbackEmbeddings.length : at, 0, { vector, quality });
    if (this.fallbackEmbeddings.length > MAX_FALLBACK_EMBEDDINGS) this.fallbackEmbeddings.pop();
  }

  /**
   * Offers a face as the track's thumbnail; kept when better (larger × more confident, frontal preferred)
   * than the current best. `crop` cuts the picture (face with margin) only when it is kept.
   */
  offerFace(
    frame: number,
    box: Box,
    score: number,
    landmarks: Point[],
    aligned: RgbImage,
    crop: () => RgbImage,
  ): void {
    const size = Math.min(box[2] - box[0], box[3] - box[1]);
    const quality = size * score * (isFrontal(landmarks) ? 1 : 0.5);
    if (this.best && this.best.quality >= quality) return;
    this.best = { quality, frame, box, crop: crop(), aligned };
  }

  snapshot(): TrackMemorySnapshot {
    const best = this.best;
    return {
      trackletId: this.trackletId,
      trackId: this.trackId,
      scheduler: this.scheduler.snapshot(),
      identity: this.identity.snapshot(),
      embeddings: this.embeddings.map(encodeFloat32),
      embeddingQualities: [...this.embeddingQualities],
      fallbackEmbeddings: this.fallbackEmbeddings.map((e) => ({
        vector: encodeFloat32(e.vector),
        quality: e.quality,
      })),
      liveRepresentatives: this.liveRepresentatives.map((e) => ({
        vector: encodeFloat32(e.vector),
        quality: e.quality,
      })),
      liveRepresentativesGood: this.liveRepresentativesGood,
      recent: this.recent.map(encodeFloat32),
      embeddingCount: this.embeddingCount,
      keepEvery: this.#keepEvery,
      best: best
        ? {
            quality: best.quality,
            frame: best.frame,
            box: [...best.box],
            crop: encodeImage(best.crop),
            aligned: encodeImage(best.aligned),
          }
        : null,
      firstFrame: this.firstFrame,
      lastFrame: this.lastFrame,
      firstTime: this.firstTime,
      lastTime: this.lastTime,
      frames: this.frames,
      segments: this.segments.map((g) => ({ ...g })),
      lastBox: this.lastBox ? [...this.lastBox] : null,
      identitySettled: this.identitySettled,
      identified: this.identified,
      attributes: { ...this.attributes },
      quality: {
        judged: this.judgedFaces,
        good: this.goodFaces,
        faceLike: this.faceLikeSeen,
        previous: this.previousFace
          ? {
              box: [...this.previousFace.box],
              landmarks: this.previousFace.landmarks.map((p) => [...p] as Point),
            }
          : null,
      },
    };
  }

  /**
   * The memory a {@link snapshot} was taken of, with `scheduler` and `identity` (built with the session's
   * options) restored from it. Throws on a malformed snapshot.
   */
  static fromSnapshot(
    s: TrackMemorySnapshot,
    scheduler: ReidScheduler,
    identity: TrackIdentity,
    what = "track memory",
  ): TrackMemory {
    scheduler.restore(s.scheduler);
    identity.restore(s.identity);
    const n = (field: keyof TrackMemorySnapshot, integer = false) =>
      expectNumber(`${what}.${field}`, s[field], integer);
    const memory = new TrackMemory(
      n("trackletId", true),
      n("firstFrame"),
      n("firstTime"),
      scheduler,
      identity,
    );
    memory.trackId = n("trackId", true);
    memory.lastFrame = n("lastFrame");
    memory.lastTime = n("lastTime");
    memory.frames = n("frames", true);
    if (s.segments === undefined) {
      if (memory.frames > 0) {
        memory.segments.push({
          firstFrame: memory.firstFrame,
          lastFrame: memory.lastFrame,
          firstTime: memory.firstTime,
          lastTime: memory.lastTime,
        });
      }
    } else {
      for (const [i, g] of expectArray(`${what}.segments`, s.segments).entries()) {
        const at = `${what}.segments[${i}]`;
        const segment = g as Partial<TrackSegment> | null;
        memory.segments.push({
          firstFrame: expectNumber(`${at}.firstFrame`, segment?.firstFrame),
          lastFrame: expectNumber(`${at}.lastFrame`, segment?.lastFrame),
          firstTime: expectNumber(`${at}.firstTime`, segment?.firstTime),
          lastTime: expectNumber(`${at}.lastTime`, segment?.lastTime),
        });
      }
    }
    memory.embeddingCount = n("embeddingCount", true);
    memory.#keepEvery = n("keepEvery", true);
    const vectors = (field: "embeddings" | "recent") =>
      expectArray(`${what}.${field}`, s[field]).map((e, i) => decodeFloat32(e, `${what}.${field}[${i}]`));
    memory.embeddings.push(...vectors("embeddings"));
    if (s.embeddingQualities === undefined) memory.embeddingQualities.push(...memory.embeddings.map(() => 0));
    else {
      const qualities = expectNumbers(
        `${what}.embeddingQualities`,
        s.embeddingQualities,
        memory.embeddings.length,
      );
      memory.embeddingQualities.push(...qualities);
    }
    for (const [i, e] of (s.fallbackEmbeddings === undefined
      ? []
      : expectArray(`${what}.fallbackEmbeddings`, s.fallbackEmbeddings)
    ).entries()) {
      const f = e as { vector?: unknown; quality?: unknown } | null;
      memory.fallbackEmbeddings.push({
        vector: decodeFloat32(f?.vector, `${what}.fallbackEmbeddings[${i}].vector`),
        quality: expectNumber(`${what}.fallbackEmbeddings[${i}].quality`, f?.quality),
      });
    }
    for (const [i, e] of (s.liveRepresentatives === undefined
      ? []
      : expectArray(`${what}.liveRepresentatives`, s.liveRepresentatives)
    ).entries()) {
      const f = e as { vector?: unknown; quality?: unknown } | null;
      memory.liveRepresentatives.push({
        vector: decodeFloat32(f?.vector, `${what}.liveRepresentatives[${i}].vector`),
        quality: expectNumber(`${what}.liveRepresentatives[${i}].quality`, f?.quality),
      });
    }
    memory.liveRepresentativesGood = s.liveRepresentativesGood === true;
    memory.recent.push(...vectors("recent"));
    if (s.best !== null) {
      const b = s.best;
      memory.best = {
        quality: expectNumber(`${what}.best.quality`, b?.quality),
        frame: expectNumber(`${what}.best.frame`, b.frame),
        box: expectNumbers(`${what}.best.box`, b.box, 4) as Box,
        crop: decodeImage(b.crop, `${what}.best.crop`),
        aligned: decodeImage(b.aligned, `${what}.best.aligned`),
      };
    }
    if (s.lastBox !== null) memory.lastBox = expectNumbers(`${what}.lastBox`, s.lastBox, 4) as Box;
    if (typeof s.identitySettled !== "boolean")
      throw new SnapshotError(`${what}.identitySettled: expected a boolean`);
    memory.identitySettled = s.identitySettled;
    if (s.identified !== undefined && typeof s.identified !== "boolean")
      throw new SnapshotError(`${what}.identified: expected a boolean`);
    memory.identified = s.identified ?? (s.identitySettled || identity.identity !== null);
    if (typeof s.attributes !== "object" || s.attributes === null) {
      throw new SnapshotError(`${what}.attributes: expected an object`);
    }
    memory.attributes = { ...s.attributes };
    if (s.quality !== undefined) {
      const q = s.quality;
      memory.judgedFaces = expectNumber(`${what}.quality.judged`, q?.judged, true);
      memory.goodFaces = expectNumber(`${what}.quality.good`, q.good, true);
      if (typeof q.faceLike !== "boolean")
        throw new SnapshotError(`${what}.quality.faceLike: expected a boolean`);
      memory.faceLikeSeen = q.faceLike;
      if (q.previous !== null) {
        memory.previousFace = {
          box: expectNumbers(`${what}.quality.previous.box`, q.previous?.box, 4) as Box,
          landmarks: expectArray(`${what}.quality.previous.landmarks`, q.previous.landmarks).map(
            (p, i) => expectNumbers(`${what}.quality.previous.landmarks[${i}]`, p, 2) as Point,
          ),
        };
      }
    }
    return memory;
  }
}

/** The face at `box` with a margin of 35 % of its size, cut from the frame (for thumbnails). */
export function faceWithMargin(image: RgbImage, box: Box): RgbImage {
  const m = 0.35 * Math.max(box[2] - box[0], box[3] - box[1]);
  return cropImage(image, [box[0] - m, box[1] - m, box[2] + m, box[3] + m]);
}
