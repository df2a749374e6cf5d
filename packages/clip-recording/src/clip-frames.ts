/** Decoding bus frames for a clip: every frame of a video must have the size of its first one. */

import type { RgbImage } from "@facetracker/vision";
import sharp from "sharp";

/**
 * JPEG → RGB at exactly width × height: a frame of another size (the camera changed resolution mid-clip)
 * is scaled to fit, letterboxed in black. Throws on bytes that are not an image.
 */
export async function decodeClipFrame(jpeg: Uint8Array, width: number, height: number): Promise<RgbImage> {
  const image = sharp(jpeg).removeAlpha();
  const meta = await image.metadata();
  const pipeline =
    meta.width === width && meta.height === height
      ? image
      : image.resize(width, height, { fit: "contain", background: { r: 0, g: 0, b: 0 } });
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  if (info.width !== width || info.height !== height || info.channels !== 3) {
    throw new Error(
      `decoded frame is ${info.width}x${info.height}x${info.channels}, not ${width}x${height}x3`,
    );
  }
  return { width, height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}
