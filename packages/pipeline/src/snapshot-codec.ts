/**
 * Binary data in JSON snapshots: embeddings (Float32Array) and images as base64 of their bytes, so they
 * come back bit for bit (platform byte order: a snapshot is read back on the same kind of machine).
 */

import type { RgbImage } from "@facetracker/vision";

/** Base64 of the vector's bytes. */
export function encodeFloat32(vector: Float32Array): string {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString("base64");
}

/** Inverse of {@link encodeFloat32}; throws on a length that is not a whole number of floats. */
export function decodeFloat32(text: unknown, what = "embedding"): Float32Array {
  if (typeof text !== "string") throw new Error(`${what}: expected a base64 string`);
  const bytes = Buffer.from(text, "base64");
  if (bytes.byteLength % 4 !== 0)
    throw new Error(`${what}: ${bytes.byteLength} bytes is not a float32 array`);
  const vector = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(vector.buffer).set(bytes);
  return vector;
}

export interface ImageSnapshot {
  width: number;
  height: number;
  /** Base64 of the RGB bytes. */
  data: string;
}

export function encodeImage(image: RgbImage): ImageSnapshot {
  const { data } = image;
  return {
    width: image.width,
    height: image.height,
    data: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("base64"),
  };
}

export function decodeImage(s: ImageSnapshot, what = "image"): RgbImage {
  const data = typeof s?.data === "string" ? new Uint8Array(Buffer.from(s.data, "base64")) : undefined;
  if (
    !data ||
    !Number.isInteger(s.width) ||
    !Number.isInteger(s.height) ||
    data.length !== s.width * s.height * 3
  ) {
    throw new Error(`${what}: expected width, height and width × height × 3 bytes of RGB`);
  }
  return { width: s.width, height: s.height, data };
}
