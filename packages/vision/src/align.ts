import { estimateSimilarity, type Point, type Similarity } from "./geometry.ts";
import type { RgbImage } from "./image.ts";
import { warpSimilarity } from "./sampling.ts";

/** Side of the aligned face crop (ArcFace reference), pixels: the one definition every package uses. */
export const ALIGNED_SIZE = 112;

/** ArcFace reference positions of the 5 points in a 112×112 crop. */
export const ARCFACE_REFERENCE: readonly Point[] = [
  [38.2946, 51.6963],
  [73.5318, 51.5014],
  [56.0252, 71.7366],
  [41.5493, 92.3655],
  [70.7299, 92.2041],
];

/** The similarity transform taking the face's 5 points onto the reference. */
export function alignmentTransform(five: readonly Point[]): Similarity {
  return estimateSimilarity(five, ARCFACE_REFERENCE);
}

/** 112×112 aligned face crop (similarity transform of the 5 points onto the ArcFace reference). */
export function alignFace(image: RgbImage, five: readonly Point[]): RgbImage {
  return warpSimilarity(image, alignmentTransform(five), ALIGNED_SIZE);
}
