import { readFile } from "node:fs/promises";
import sharp from "sharp";

/** An 8-bit RGB image, row-major, 3 bytes per pixel, no padding. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
  /**
   * A video frame may come with the whole picture already resized to the detector's input (DETECTOR_INPUT,
   * 320×240, aspect not kept: as the detector sees it), made where the frame was decoded (ffmpeg, or
   * libjpeg's shrink-on-load): detection over the whole frame and the scene and motion thumbnails read it
   * instead of resampling the frame in JavaScript.
   */
  detectionCopy?: RgbImage;
  /**
   * Present when the full-resolution pixels are decoded only when first needed (a JPEG frame whose
   * detection copy may be all that is needed): resolves once `data` can be read (see loadPixels).
   */
  load?(): Promise<void>;
}

/** Makes `image.data` readable: decodes the full-resolution pixels of a frame that defers them (load). */
export async function loadPixels(image: RgbImage): Promise<void> {
  await image.load?.();
}

/** The detection copy of a frame when it has one of `width` × `height` (see RgbImage.detectionCopy). */
export function detectionCopyOf(image: RgbImage, width: number, height: number): RgbImage | undefined {
  const copy = image.detectionCopy;
  return copy !== undefined && copy.width === width && copy.height === height ? copy : undefined;
}

export class ImageError extends Error {
  readonly source: string;
  constructor(source: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ImageError";
    this.source = source;
  }
}

/**
 * An image refused for its size alone: more pixels than the limit (limits.max_image_pixels), a valid image
 * nonetheless, not a corrupt one.
 */
export class ImageTooLargeError extends ImageError {
  readonly width: number;
  readonly height: number;
  readonly maxPixels: number;
  constructor(source: string, size: { width: number; height: number }, maxPixels: number) {
    const { width, height } = size;
    super(
      source,
      `${source}: image is ${width}×${height} = ${pixelCount(width * height)}, above the limit of ${pixelCount(maxPixels)} (config key limits.max_image_pixels)`,
    );
    this.name = "ImageTooLargeError";
    this.width = width;
    this.height = height;
    this.maxPixels = maxPixels;
  }
}

/** "400 MP", "268.4 MP" (one decimal), or "4096 pixels" below 0.1 MP. */
function pixelCount(pixels: number): string {
  return pixels >= 100_000 ? `${Math.round(pixels / 1e5) / 10} MP` : `${pixels} pixels`;
}

/**
 * The largest image decodeImage accepts by default: 50 MP (an 8K frame is 33 MP, a 45 MP camera photo
 * fits). Decoding costs 3 bytes a pixel and more inside sharp, so a 16000×16000 PNG of 1 MB would take
 * over 750 MB: refused from its header instead.
 */
export const DEFAULT_MAX_IMAGE_PIXELS = 50_000_000;

/**
 * Throws ImageTooLargeError when the image's header (read without decoding the pixels) says it has more
 * than `maxPixels` pixels; an image whose header cannot be read passes (decoding then says what is wrong).
 */
export async function checkImagePixels(bytes: Uint8Array, name: string, maxPixels: number): Promise<void> {
  const size = await sharp(bytes, { limitInputPixels: false })
    .metadata()
    .catch(() => undefined);
  if (size?.width === undefined || size.height === undefined) return;
  const { width, height } = size;
  if (width * height > maxPixels) throw new ImageTooLargeError(name, { width, height }, maxPixels);
}

export interface DecodeImageOptions {
  /** Refuse images with more pixels than this (ImageTooLargeError); default DEFAULT_MAX_IMAGE_PIXELS. */
  maxPixels?: number;
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
 * Throws ImageError naming the file and what is wrong (missing, not an image, corrupt or truncated), or
 * ImageTooLargeError (its size and the limit) for a valid image with more than `maxPixels` pixels.
 */
export async function decodeImage(
  input: ImageInput,
  label?: string,
  options: DecodeImageOptions = {},
): Promise<RgbImage> {
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
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_IMAGE_PIXELS;
  await checkImagePixels(bytes, name, maxPixels);
  try {
    const { data, info } = await sharp(bytes, { failOn: "error", limitInputPixels: maxPixels })
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
    if (/exceeds pixel limit/.test((error as Error).message)) {
      const size = await sharp(bytes, { limitInputPixels: false })
        .metadata()
        .catch(() => undefined);
      if (size?.width !== undefined && size.height !== undefined) {
        throw new ImageTooLargeError(name, { width: size.width, height: size.height }, maxPixels);
      }
    }
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
