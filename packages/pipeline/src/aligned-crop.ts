import { ALIGNED_SIZE, type RgbImage } from "@facetracker/vision";

/** Bytes of an aligned crop as it travels on the bus: raw RGB24, row-major. */
export const ALIGNED_RGB_BYTES = ALIGNED_SIZE * ALIGNED_SIZE * 3;

/** The image of a raw aligned crop (its length checked by the caller). */
export function alignedImage(data: Uint8Array): RgbImage {
  return { width: ALIGNED_SIZE, height: ALIGNED_SIZE, data };
}
