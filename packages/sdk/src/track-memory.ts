import { isFrontal } from "@facetracker/filters";
import type { ReidScheduler, TrackIdentity } from "@facetracker/identity";
import { type Box, cropImage, type Point, type RgbImage } from "@facetracker/vision";

/** Most embeddings kept per track (evenly thinned beyond that) for representative embeddings. */
const MAX_KEPT_EMBEDDINGS = 64;
/** Embeddings compared with a new one to tell whether the face is still the same person. */
const RECENT_EMBEDDINGS = 3;

export interface BestFace {
  quality: number;
  frame: number;
  box: Box;
  /** Face with some margin, cut from the frame. */
  crop: RgbImage;
  /** 112×112 aligned crop (what the embedder saw). */
  aligned: RgbImage;
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
  embeddingCount = 0;
  best: BestFace | undefined;
  firstFrame: number;
  lastFrame: number;
  firstTime: number;
  lastTime: number;
  /** Frames with a matched detection. */
  frames = 0;
  lastBox: Box | undefined;
  /** The identity decision has `credence_count` agreeing embeddings behind it. */
  identitySettled = false;
  /** Attributes of the identity the track carries (from the gallery hit). */
  attributes: Record<string, string> = {};
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

  seen(frame: number, time: number, box: Box): void {
    this.frames++;
    this.lastFrame = frame;
    this.lastTime = time;
    this.lastBox = box;
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

  /** Keeps embeddings evenly spread over the track, at most MAX_KEPT_EMBEDDINGS. */
  keepEmbedding(vector: Float32Array): void {
    this.recent.push(vector);
    if (this.recent.length > RECENT_EMBEDDINGS) this.recent.shift();
    this.embeddingCount++;
    if ((this.embeddingCount - 1) % this.#keepEvery !== 0) return;
    this.embeddings.push(vector);
    if (this.embeddings.length >= MAX_KEPT_EMBEDDINGS) {
      const thinned = this.embeddings.filter((_, i) => i % 2 === 0);
      this.embeddings.length = 0;
      this.embeddings.push(...thinned);
      this.#keepEvery *= 2;
    }
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
}

/** The face at `box` with a margin of 35 % of its size, cut from the frame (for thumbnails). */
export function faceWithMargin(image: RgbImage, box: Box): RgbImage {
  const m = 0.35 * Math.max(box[2] - box[0], box[3] - box[1]);
  return cropImage(image, [box[0] - m, box[1] - m, box[2] + m, box[3] + m]);
}
