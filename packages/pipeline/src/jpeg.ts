import { DETECTOR_INPUT, type RgbImage } from "@facetracker/vision";
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

/** Width and height from a JPEG's frame header (SOFn), without decoding; undefined when none is found. */
export function jpegSize(jpeg: Uint8Array): { width: number; height: number } | undefined {
  let i = 2;
  while (i + 9 < jpeg.length) {
    if (jpeg[i] !== 0xff) return undefined;
    const marker = jpeg[i + 1] as number;
    if (marker === 0xff) {
      i++;
      continue;
    }
    const length = ((jpeg[i + 2] as number) << 8) | (jpeg[i + 3] as number);
    // SOF0…SOF15, except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      const height = ((jpeg[i + 5] as number) << 8) | (jpeg[i + 6] as number);
      const width = ((jpeg[i + 7] as number) << 8) | (jpeg[i + 8] as number);
      return width > 0 && height > 0 ? { width, height } : undefined;
    }
    i += 2 + length;
  }
  return undefined;
}

/**
 * A JPEG frame as detection wants it: its detection copy (the whole picture at the detector's input size,
 * 320×240) decoded at once, by libjpeg's shrink-on-load (the DCT scaled down by 2, 4 or 8) and a libvips
 * resize; its full-resolution pixels decoded only when first needed (loadPixels: the crops of faces, the
 * motion gate's regions, tiles). A frame on which nothing is detected, or the whole frame only, is never
 * decoded in full. Throws like decodeJpeg on bytes that are not a JPEG image.
 */
export async function decodeJpegFrame(jpeg: Uint8Array): Promise<RgbImage> {
  const { width: W, height: H } = DETECTOR_INPUT;
  const size = jpegSize(jpeg) ?? (await sharp(jpeg).metadata());
  const { data, info } = await sharp(jpeg)
    .resize(W, H, { fit: "fill" })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (size.width === undefined || size.height === undefined) throw new Error("a JPEG frame without a size");
  const copy: RgbImage = {
    width: info.width,
    height: info.height,
    data: new Uint8Array(data.buffer, data.byteOffset, data.length),
  };
  return new JpegFrame(jpeg, size.width, size.height, copy);
}

/** A frame whose full-resolution pixels are decoded from its JPEG when first needed (see decodeJpegFrame). */
class JpegFrame implements RgbImage {
  readonly width: number;
  readonly height: number;
  readonly detectionCopy: RgbImage;
  readonly #jpeg: Uint8Array;
  #data: Uint8Array | undefined;
  #loading: Promise<void> | undefined;

  constructor(jpeg: Uint8Array, width: number, height: number, detectionCopy: RgbImage) {
    this.#jpeg = jpeg;
    this.width = width;
    this.height = height;
    this.detectionCopy = detectionCopy;
  }

  get data(): Uint8Array {
    if (this.#data === undefined) {
      throw new Error(
        "the frame's full-resolution pixels are not decoded yet: await loadPixels(frame) first",
      );
    }
    return this.#data;
  }

  load(): Promise<void> {
    this.#loading ??= decodeJpeg(this.#jpeg).then((image) => {
      if (image.width !== this.width || image.height !== this.height) {
        throw new Error(
          `a JPEG frame decoded to ${image.width}×${image.height}, its header said ${this.width}×${this.height}`,
        );
      }
      this.#data = image.data;
    });
    return this.#loading;
  }
}
