/**
 * Face quality: whether a detected face is good enough to tell who it is, and whether it is a human face at
 * all, from cheap signals measured on what the face path already has (the detection, its 5 landmarks, the
 * aligned 112×112 crop, the embedding and its norm before normalisation).
 *
 * - **sharpness**: variance of the Laplacian of the aligned crop's grey centre (eyes to mouth), divided by
 *   the centre's grey variance, so that it measures detail, not contrast. A blurred or upscaled tiny face
 *   has little high-frequency energy left.
 * - **size**: the distance between the eyes in frame pixels (the box's smaller side is reported too).
 * - **pose**: yaw, pitch and roll in degrees, estimated from the 5 points (roll: the eye line's angle; yaw:
 *   the nose's sideways offset from the eyes–mouth midline; pitch: the nose's height between the eye line
 *   and the mouth line, against a frontal face's).
 * - **landmark plausibility**: the 5 points must have a face's geometry (mouth below the eyes, nose
 *   between them, eye–mouth distance, mouth width and line angles within what a real head shows), and,
 *   across the embedded faces of one track, must not jump around within the face box.
 * - **detector score**.
 * - **embedding norm** (before L2 normalisation): the network answers a face it can tell apart with a larger
 *   feature norm than a blur, a fragment or a tiny face (the "feature norm as quality" finding of
 *   MagFace/AdaFace).
 * - **non-face similarity**: the embedder maps non-human faces (animal heads, coats of arms, emoji, sockets)
 *   into one region of its space; the cosine similarity of the embedding to that region's mean direction
 *   ({@link NON_FACE_PROTOTYPE}, from drawings never evaluated on) above the bar says "not a face".
 *
 * {@link assessFaceQuality} returns a score in 0..1 (for ranking faces), whether the face is good enough
 * to be evidence of who it is (`good`: every signal passes its bar), whether it is a human face at all
 * (`faceLike`) and, when not good, why. The bars are the `face_quality` keys of the configuration (same
 * names); {@link DEFAULT_FACE_QUALITY} holds their defaults, measured in `pnpm bench:quality`
 * (docs/benchmarks.md, docs/tracking.md).
 */

import { applySimilarity, type Box, estimateSimilarity, type Point } from "./geometry.ts";
import type { RgbImage } from "./image.ts";
import { NON_FACE_PROTOTYPE } from "./non-face-prototype.ts";

export { NON_FACE_PROTOTYPE };

/** Why a face is not good enough (in the order they are checked). */
export const faceQualityReasons = [
  "not a face",
  "too small",
  "blurred",
  "profile",
  "tilted",
  "implausible landmarks",
  "unsteady landmarks",
  "low detector score",
  "weak embedding",
] as const;
export type FaceQualityReason = (typeof faceQualityReasons)[number];

/** The bars of the quality gate (the configuration's `face_quality` keys). */
export interface FaceQualityOptions {
  /** Off: every face is good and face-like (signals and score still computed). */
  enabled: boolean;
  /** Smallest distance between the eyes, frame pixels. */
  min_eye_distance: number;
  /** Smallest sharpness (variance of the Laplacian over the grey variance of the aligned crop's centre). */
  min_sharpness: number;
  /** Largest |yaw|, degrees (beyond: profile). */
  max_yaw: number;
  /** Largest |pitch|, degrees (beyond: profile, looking up or down). */
  max_pitch: number;
  /** Largest |roll|, degrees (beyond: tilted). */
  max_roll: number;
  /** Smallest detector score. */
  min_detector_score: number;
  /** Smallest embedding norm before normalisation (only when the embedder gives it). */
  min_embedding_norm: number;
  /** Largest cosine similarity of the embedding to the non-face prototype (beyond: not a face). */
  max_non_face_similarity: number;
  /** Largest landmark jump between two embedded faces of a track, as a fraction of the box size. */
  max_landmark_jitter: number;
}

/**
 * Defaults, from measurements on the shared data's Hamilton clip (docs/benchmarks.md, `pnpm bench:quality`):
 * below each bar, no face of the clip reached the recognition threshold against its true identity.
 */
export const DEFAULT_FACE_QUALITY: Readonly<FaceQualityOptions> = {
  enabled: true,
  min_eye_distance: 14,
  min_sharpness: 0.06,
  max_yaw: 35,
  max_pitch: 35,
  max_roll: 60,
  min_detector_score: 0.7,
  min_embedding_norm: 2.2,
  max_non_face_similarity: 0.35,
  max_landmark_jitter: 0.25,
};

/** What is known of one face. Only box, score and landmarks are required; each other signal is optional. */
export interface FaceQualityInput {
  box: Box;
  /** Detector score, 0..1. */
  score: number;
  /** 5 points: left eye, right eye, nose tip, left and right mouth corners (frame pixels). */
  landmarks: readonly Point[];
  /** The 112×112 aligned crop (for sharpness). */
  aligned?: RgbImage;
  /** The L2-normalised embedding (non-face similarity; of another length than the prototype: not measured). */
  embedding?: Float32Array;
  /** Norm of the embedding before L2 normalisation. */
  embeddingNorm?: number;
  /**
   * Best cosine similarity of the embedding to the track's previous ones: reported, not a bar (a face unlike
   * its track is another person, and the tracking session splits the track: APPEARANCE_JUMP).
   */
  trackSimilarity?: number;
  /** The same track's previous embedded face (box and 5 landmarks), for landmark consistency. */
  previous?: { box: Box; landmarks: readonly Point[] };
}

/** The measured signals (null: not measured, the input lacked what it needs). */
export interface FaceQualitySignals {
  sharpness: number | null;
  /** Distance between the eyes, frame pixels. */
  eyeDistance: number;
  /** Smaller side of the box, frame pixels. */
  faceSize: number;
  /** Degrees: yaw > 0 nose towards the image's right, pitch > 0 looking down, roll > 0 clockwise. */
  yaw: number;
  pitch: number;
  roll: number;
  /** How far the 5 points are from a face's geometry (0: a face's; ≥ 1: implausible). */
  landmarkImplausibility: number;
  /** Landmark jump since the track's previous face, fraction of the box size. */
  landmarkJitter: number | null;
  detectorScore: number;
  embeddingNorm: number | null;
  /** Cosine similarity of the embedding to {@link NON_FACE_PROTOTYPE}. */
  nonFaceSimilarity: number | null;
  trackSimilarity: number | null;
}

export interface FaceQuality {
  /** 0..1, higher is better (for ranking faces; the gate is `good`). */
  score: number;
  /** Every signal passes its bar (always true when the gate is disabled). */
  good: boolean;
  /**
   * A human face at all: neither "not a face" nor "implausible landmarks" (always true when the gate is
   * disabled). A track is confirmed only once one of its faces is face-like (docs/tracking.md).
   */
  faceLike: boolean;
  /** Why the face is not good (empty when good). */
  reasons: FaceQualityReason[];
  signals: FaceQualitySignals;
}

/** Assesses one face (pure: no model runs). `options` default to {@link DEFAULT_FACE_QUALITY}. */
export function assessFaceQuality(
  face: FaceQualityInput,
  options: Partial<FaceQualityOptions> = {},
): FaceQuality {
  const o = { ...DEFAULT_FACE_QUALITY, ...options };
  const s = faceQualitySignals(face);
  const reasons: FaceQualityReason[] = [];
  if (s.nonFaceSimilarity !== null && s.nonFaceSimilarity > o.max_non_face_similarity)
    reasons.push("not a face");
  if (s.eyeDistance < o.min_eye_distance) reasons.push("too small");
  if (s.sharpness !== null && s.sharpness < o.min_sharpness) reasons.push("blurred");
  if (Math.abs(s.yaw) > o.max_yaw || Math.abs(s.pitch) > o.max_pitch) reasons.push("profile");
  if (Math.abs(s.roll) > o.max_roll) reasons.push("tilted");
  if (s.landmarkImplausibility >= 1) reasons.push("implausible landmarks");
  if (s.landmarkJitter !== null && s.landmarkJitter > o.max_landmark_jitter)
    reasons.push("unsteady landmarks");
  if (s.detectorScore < o.min_detector_score) reasons.push("low detector score");
  if (s.embeddingNorm !== null && s.embeddingNorm < o.min_embedding_norm) reasons.push("weak embedding");
  const good = !o.enabled || reasons.length === 0;
  const faceLike =
    !o.enabled || !(reasons.includes("not a face") || reasons.includes("implausible landmarks"));
  return { score: qualityScore(s, o), good, faceLike, reasons: good ? [] : reasons, signals: s };
}

/** The signals of one face (see the module comment). */
export function faceQualitySignals(face: FaceQualityInput): FaceQualitySignals {
  const pose = facePose(face.landmarks);
  return {
    sharpness: face.aligned ? alignedSharpness(face.aligned) : null,
    eyeDistance: pose.eyeDistance,
    faceSize: Math.min(face.box[2] - face.box[0], face.box[3] - face.box[1]),
    yaw: pose.yaw,
    pitch: pose.pitch,
    roll: pose.roll,
    landmarkImplausibility: landmarkImplausibility(face.landmarks),
    landmarkJitter: face.previous ? landmarkJitter(face.previous, face) : null,
    detectorScore: face.score,
    embeddingNorm: face.embeddingNorm ?? null,
    nonFaceSimilarity: face.embedding ? nonFaceSimilarity(face.embedding) : null,
    trackSimilarity: face.trackSimilarity ?? null,
  };
}

/** Cosine similarity of an L2-normalised embedding to {@link NON_FACE_PROTOTYPE}; null for another length. */
export function nonFaceSimilarity(embedding: Float32Array): number | null {
  if (embedding.length !== NON_FACE_PROTOTYPE.length) return null;
  let dot = 0;
  for (let i = 0; i < embedding.length; i++)
    dot += (embedding[i] as number) * (NON_FACE_PROTOTYPE[i] as number);
  return dot;
}

/** 0 at `bad`, 1 at `good`, linear in between (either order). */
function ramp(value: number, bad: number, good: number): number {
  if (good === bad) return value >= good ? 1 : 0;
  return Math.min(1, Math.max(0, (value - bad) / (good - bad)));
}

/**
 * The score: a product of per-signal factors, each 1 for a clearly good value and falling to a floor of
 * 0.1 at the bar (so that ranking still prefers the better of two faces that both fail).
 */
function qualityScore(s: FaceQualitySignals, o: FaceQualityOptions): number {
  const f = (x: number) => 0.1 + 0.9 * x;
  let score =
    f(ramp(s.eyeDistance, o.min_eye_distance, o.min_eye_distance * 3)) *
    f(ramp(Math.abs(s.yaw), o.max_yaw, o.max_yaw / 3)) *
    f(ramp(Math.abs(s.pitch), o.max_pitch, o.max_pitch / 3)) *
    f(ramp(Math.abs(s.roll), o.max_roll, o.max_roll / 3)) *
    f(ramp(s.landmarkImplausibility, 1, 0.5)) *
    f(ramp(s.detectorScore, o.min_detector_score, Math.min(1, o.min_detector_score + 0.2)));
  if (s.sharpness !== null) score *= f(ramp(s.sharpness, o.min_sharpness, o.min_sharpness * 3));
  if (s.embeddingNorm !== null && o.min_embedding_norm > 0)
    score *= f(ramp(s.embeddingNorm, o.min_embedding_norm, o.min_embedding_norm * 1.5));
  if (s.nonFaceSimilarity !== null)
    score *= f(ramp(s.nonFaceSimilarity, o.max_non_face_similarity, o.max_non_face_similarity / 2));
  return score;
}

export interface FacePose {
  yaw: number;
  pitch: number;
  roll: number;
  eyeDistance: number;
}

/**
 * Nose tip height between the eye line (0) and the mouth line (1) of a frontal face as the landmark model
 * places it: the median over the frontal portraits of the shared pairs set (the ArcFace reference points
 * say 0.49; the 68-point model's nose tip sits lower).
 */
const FRONTAL_NOSE_HEIGHT = 0.58;
/** Depth of the nose tip in front of the eyes–mouth plane, in eye distances (about 30 mm over 62 mm). */
const NOSE_DEPTH = 0.5;

/**
 * Head pose from the 5 points, degrees. Roll is the eye line's angle. In the face's own frame (roll
 * undone), a head turned by θ moves the nose tip sideways by depth·sin θ while the eye distance shrinks by
 * cos θ: yaw = atan(offset / (depth · eye distance)). Pitch likewise from the nose's height between the eye
 * and mouth lines against a frontal face's (0.58).
 */
export function facePose(landmarks: readonly Point[]): FacePose {
  const [le, re, nose, lm, rm] = fivePointsOf(landmarks);
  const dx = re[0] - le[0];
  const dy = re[1] - le[1];
  const eyeDistance = Math.hypot(dx, dy);
  const angle = Math.atan2(dy, dx);
  const roll = (angle * 180) / Math.PI;
  if (eyeDistance === 0) return { yaw: 90, pitch: 0, roll, eyeDistance };
  const cos = Math.cos(-angle);
  const sin = Math.sin(-angle);
  const eyeMid: Point = [(le[0] + re[0]) / 2, (le[1] + re[1]) / 2];
  const local = (p: Point): Point => {
    const x = p[0] - eyeMid[0];
    const y = p[1] - eyeMid[1];
    return [x * cos - y * sin, x * sin + y * cos];
  };
  const n = local(nose);
  const l = local(lm);
  const r = local(rm);
  const mouth: Point = [(l[0] + r[0]) / 2, (l[1] + r[1]) / 2];
  const midline = mouth[0] / 2; // the eyes' midpoint is at x = 0
  const yaw = (Math.atan((n[0] - midline) / (NOSE_DEPTH * eyeDistance)) * 180) / Math.PI;
  const height = mouth[1];
  const pitch =
    height > 0
      ? (Math.atan(((n[1] / height - FRONTAL_NOSE_HEIGHT) * height) / (NOSE_DEPTH * eyeDistance)) * 180) /
        Math.PI
      : 90;
  return { yaw, pitch, roll, eyeDistance };
}

/**
 * How far the 5 points are from any face's geometry, in the face's frame (roll undone, eye distance 1):
 * 0 inside the plausible ranges, growing past 1 once outside one of them. Ranges (a real head at the poses
 * the gate keeps, with the landmark model's error): the mouth 0.6–2.2 eye distances below the eyes, the
 * mouth 0.35–1.5 eye distances wide, the mouth line within 25° of the eye line, the nose between the eye
 * and mouth lines and at most one eye distance off the midline.
 */
export function landmarkImplausibility(landmarks: readonly Point[]): number {
  const [le, re, nose, lm, rm] = fivePointsOf(landmarks);
  const e = Math.hypot(re[0] - le[0], re[1] - le[1]);
  if (e === 0) return 10;
  const m = estimateSimilarity(
    [le, re],
    [
      [0, 0],
      [1, 0],
    ],
  );
  const [n, l, r] = [nose, lm, rm].map((p) => applySimilarity(m, p)) as [Point, Point, Point];
  const mouthY = (l[1] + r[1]) / 2;
  const mouthWidth = Math.hypot(r[0] - l[0], r[1] - l[1]);
  const mouthAngle = (Math.abs(Math.atan2(r[1] - l[1], r[0] - l[0])) * 180) / Math.PI;
  const outside = (v: number, lo: number, hi: number, scale: number) =>
    v < lo ? (lo - v) / scale : v > hi ? (v - hi) / scale : 0;
  return Math.max(
    outside(mouthY, 0.6, 2.2, 0.3),
    outside(mouthWidth, 0.35, 1.5, 0.2),
    outside(mouthAngle, 0, 25, 15),
    outside(n[1] / Math.max(mouthY, 1e-6), 0.05, 0.95, 0.1),
    outside(n[0] - 0.5, -1, 1, 0.3),
  );
}

/** Mean movement of the 5 points within their box between two faces, in box sizes. */
export function landmarkJitter(
  a: { box: Box; landmarks: readonly Point[] },
  b: { box: Box; landmarks: readonly Point[] },
): number {
  const rel = (f: { box: Box; landmarks: readonly Point[] }) => {
    const size = Math.max(1e-6, Math.max(f.box[2] - f.box[0], f.box[3] - f.box[1]));
    return fivePointsOf(f.landmarks).map(
      (p) => [(p[0] - f.box[0]) / size, (p[1] - f.box[1]) / size] as Point,
    );
  };
  const pa = rel(a);
  const pb = rel(b);
  let sum = 0;
  for (let i = 0; i < 5; i++) {
    const p = pa[i] as Point;
    const q = pb[i] as Point;
    sum += Math.hypot(p[0] - q[0], p[1] - q[1]);
  }
  return sum / 5;
}

/**
 * Detail in the aligned crop: the variance of the 4-neighbour Laplacian of its grey centre (rows 40–103,
 * columns 24–87: eyes, nose and mouth of an aligned face), over the grey variance of the same region
 * (contrast-free; a uniform region scores 0).
 */
export function alignedSharpness(aligned: RgbImage): number {
  const { width, height, data } = aligned;
  const x0 = Math.round(width * (24 / 112));
  const x1 = Math.round(width * (88 / 112));
  const y0 = Math.round(height * (40 / 112));
  const y1 = Math.round(height * (104 / 112));
  const grey = (x: number, y: number) => {
    const i = 3 * (y * width + x);
    return 0.299 * (data[i] as number) + 0.587 * (data[i + 1] as number) + 0.114 * (data[i + 2] as number);
  };
  let n = 0;
  let sum = 0;
  let sum2 = 0;
  let lsum = 0;
  let lsum2 = 0;
  for (let y = Math.max(1, y0); y < Math.min(height - 1, y1); y++) {
    for (let x = Math.max(1, x0); x < Math.min(width - 1, x1); x++) {
      const g = grey(x, y);
      const lap = grey(x - 1, y) + grey(x + 1, y) + grey(x, y - 1) + grey(x, y + 1) - 4 * g;
      n++;
      sum += g;
      sum2 += g * g;
      lsum += lap;
      lsum2 += lap * lap;
    }
  }
  if (n === 0) return 0;
  const variance = sum2 / n - (sum / n) ** 2;
  const lapVariance = lsum2 / n - (lsum / n) ** 2;
  return variance > 1e-6 ? lapVariance / variance : 0;
}

function fivePointsOf(landmarks: readonly Point[]): [Point, Point, Point, Point, Point] {
  if (landmarks.length !== 5) throw new Error(`face quality: expected 5 landmarks, got ${landmarks.length}`);
  return landmarks as unknown as [Point, Point, Point, Point, Point];
}
