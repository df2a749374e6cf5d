import type { RgbImage } from "@facetracker/vision";
import sharp from "sharp";

/** RGB frame → JPEG (frames travel compressed on the bus). */
export async function encodeFrameJpeg(frame: RgbImage, quality = 80): Promise<Uint8Array> {
  const buf = await sharp(frame.data, { raw: { width: frame.width, height: frame.height, channels: 3 } })
    .jpeg({ quality, mozjpeg: false })
    .toBuffer();
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
}

/** JPEG → RGB (no EXIF handling: bus frames have none). Throws on bytes that are not a JPEG image. */
export async function decodeJpeg(jpeg: Uint8Array): Promise<RgbImage> {
  const { data, info } = await sharp(jpeg).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return {
    width: info.width,
    height: info.height,
    data: new Uint8Array(data.buffer, data.byteOffset, data.length),
  };
}
