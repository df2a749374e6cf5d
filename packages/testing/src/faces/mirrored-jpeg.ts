/** Enrollment pictures for tests: a face picture written again, mirrored. */

import type { RgbImage } from "@facetracker/vision";
import sharp from "sharp";

/** Writes a mirrored JPEG copy of a picture (a different photo of the same face, for enrolling). */
export async function writeMirroredJpeg(picture: RgbImage, file: string): Promise<string> {
  await sharp(picture.data, { raw: { width: picture.width, height: picture.height, channels: 3 } })
    .flop()
    .jpeg({ quality: 90 })
    .toFile(file);
  return file;
}
