import type { Attributes } from "@facetracker/gallery";
import type { Box, ImageInput, Point, RgbImage } from "@facetracker/vision";

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

export interface EnrollOptions {
  attributes?: Attributes;
  /** Enroll even when a face matches another identity at or above the duplicate threshold. */
  force?: boolean;
}

export type EnrollOutcome =
  | { image: string; status: "enrolled"; embeddingId: string }
  | { image: string; status: "no_face" }
  | { image: string; status: "duplicate"; reason: string }
  | { image: string; status: "conflict"; reason: string; otherIdentity: string; similarity: number }
  | { image: string; status: "error"; reason: string };

export interface EnrollReport {
  name: string;
  /** Identity id, absent when nothing was enrolled and the identity did not exist. */
  identityId?: string;
  created: boolean;
  enrolled: number;
  outcomes: EnrollOutcome[];
}
