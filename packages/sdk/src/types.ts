import type { Attributes } from "@facetracker/gallery";
import type { PhotoFaceChoice } from "@facetracker/pipeline";
import type { Box, FaceChoice, ImageInput, Point, RgbImage } from "@facetracker/vision";

export type { EnrollOptions, EnrollOutcome, EnrollReport } from "@facetracker/pipeline";

/** Which face of each photo verify compares: default each photo's subject. */
export interface VerifyOptions {
  a?: FaceChoice;
  b?: FaceChoice;
}

export interface VerifyResult {
  /** Cosine similarity of the two faces; null when either photo has no face. */
  similarity: number | null;
  /** similarity ≥ the threshold; null when either photo has no face. */
  same: boolean | null;
  /** The face taken from each photo (null: the photo has no face). */
  faces: [PhotoFaceChoice | null, PhotoFaceChoice | null];
}

export interface IdentityMatch {
  id: string;
  name: string;
  attributes: Attributes;
  /** Cosine similarity of the best gallery embedding. */
  similarity: number;
}

export interface RecognizedFace {
  box: Box;
  /** Detection score (0..1). */
  score: number;
  /** 5 points: left eye, right eye, nose tip, left and right mouth corners. */
  landmarks: Point[];
  /** Best match at or above the threshold, or null for an unknown face. */
  identity: IdentityMatch | null;
  /** Best gallery similarity even when below the threshold (null for an empty gallery). */
  bestSimilarity: number | null;
  embedding: Float32Array;
}

export interface BatchResult {
  /** Position of the image in the input. */
  index: number;
  input: ImageInput;
  faces: RecognizedFace[];
  /** The decoded image (for drawing on it without decoding again); absent when it failed to decode. */
  image?: RgbImage;
  /** Set when this image could not be processed (the batch goes on). */
  error?: Error;
}
