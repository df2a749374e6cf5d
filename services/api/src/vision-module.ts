/** JPEG decoding for enrolling a face picture (the aligned crops travel as JPEG thumbnails). */

import { decodeImage, type RgbImage } from "@facetracker/vision";

/** A decoded image: RGB24, row-major. */
export type RgbPixels = RgbImage;

/**
 * Decodes a JPEG (or PNG/WebP) to RGB pixels; ImageTooLargeError, from the header before decoding, for
 * more than `maxPixels` pixels (limits.max_image_pixels).
 */
export function decodePicture(bytes: Uint8Array, label: string, maxPixels: number): Promise<RgbPixels> {
  return decodeImage(bytes, label, { maxPixels });
}
