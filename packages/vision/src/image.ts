import { readFile } from "node:fs/promises";
import sharp from "sharp";

/** An 8-bit RGB image, row-major, 3 bytes per pixel, no padding. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

export class ImageError extends Error {
  readonly source: string;
  constructor(source: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ImageError";
    this.source = source;
  }
}

export type ImageInput = string | Uint8Array | RgbImage;

export function isRgbImage(input: unknown): input is RgbImage {
  return (
    typeof input === "object" &&
    input !== null &&
    "data" in input &&
    "width" in input &&
    "height" in input &&
    (input as RgbImage).data instanceof Uint8Array
  );
}

/** JPEG, PNG or WebP from the file signature (one sharp call less than asking sharp), else undefined. */
export function sniffFormat(b: Uint8Array): "jpeg" | "png" | "webp" | undefined {
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return "jpeg";
  if (b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return "png";
  const ascii = (from: number, to: number) => String.fromCharCode(...b.subarray(from, to));
  if (b.length >= 12 && ascii(0, 4) === "RIFF" && ascii(8, 12) === "WEBP") return "webp";
  return undefined;
}

/**
 * Decodes a JPEG, PNG or WebP file or buffer to RGB: EXIF orientation applied, alpha flattened on white.
 * Throws ImageError naming the file and what is wrong (missing, not an image, corrupt or truncated).
 */
export async function decodeImage(input: ImageInput, label?: string): Promise<RgbImage> {
  if (isRgbImage(input)) return input;
  const name = label ?? (typeof input === "string" ? input : "image buffer");
  let bytes: Uint8Array;
  if (typeof input === "string") {
    try {
      bytes = await readFile(input);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why =
        code === "ENOENT" ? "file not found" : code === "EISDIR" ? "is a directory" : `cannot read (${code})`;
      throw new ImageError(name, `${name}: ${why}`, { cause: error });
    }
  } else {
    bytes = input;
  }
  if (bytes.byteLength === 0) throw new ImageError(name, `${name}: empty file, not an image`);
  const format = sniffFormat(bytes);
  if (!format) {
    let other: string | undefined;
    try {
      other = (await sharp(bytes).metadata()).format;
    } catch (error) {
      throw new ImageError(name, `${name}: not a supported image (JPEG, PNG or WebP expected)`, {
        cause: error,
      });
    }
    throw new ImageError(name, `${name}: unsupported image format '${other}' (JPEG, PNG or WebP expected)`);
  }
  try {
    const { data, info } = await sharp(bytes, { failOn: "error" })
      .rotate()
      .flatten({ background: "#ffffff" })
      .toColourspace("srgb")
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels`);
    return {
      width: info.width,
      height: info.height,
      data: new Uint8Array(data.buffer, data.byteOffset, data.length),
    };
  } catch (error) {
    throw new ImageError(
      name,
      `${name}: corrupt or truncated ${format} image (${(error as Error).message.trim()})`,
      {
        cause: error,
      },
    );
  }
}

/** Encodes an RGB image as JPEG. */
export async function encodeJpeg(image: RgbImage, quality = 90): Promise<Uint8Array> {
  const buf = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .jpeg({ quality })
    .toBuffer();
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
}

/** Copies the pixels inside [x1,y1,x2,y2) (clamped to the image) into a new image. */
export function cropImage(image: RgbImage, box: readonly [number, number, number, number]): RgbImage {
  const x1 = Math.max(0, Math.floor(box[0]));
  const y1 = Math.max(0, Math.floor(box[1]));
  const x2 = Math.min(image.width, Math.ceil(box[2]));
  const y2 = Math.min(image.height, Math.ceil(box[3]));
  const width = Math.max(1, x2 - x1);
  const height = Math.max(1, y2 - y1);
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(image.height - 1, y1 + y);
    const start = (sy * image.width + x1) * 3;
    data.set(image.data.subarray(start, start + width * 3), y * width * 3);
  }
  return { width, height, data };
}
