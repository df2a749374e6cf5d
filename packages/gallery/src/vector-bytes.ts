/** Vectors as bytes: little-endian float32, the layout of the database's `vector` column and of the old journal. */

import { float32FromBytes, float32ToBytes } from "@facetracker/infra";

/** The little-endian float32 bytes of `vector` (a copy). */
export const vectorToBytes = float32ToBytes;

/**
 * Reads `dimension` little-endian float32 values; throws an Error saying what is wrong when the length is
 * not `dimension * 4` bytes, a value is not finite, or the vector has zero length (it cannot be searched).
 */
export function vectorFromBytes(bytes: Uint8Array, dimension: number): Float32Array {
  const out = float32FromBytes(bytes, dimension);
  let sum = 0;
  for (let i = 0; i < dimension; i++) {
    const x = out[i] as number;
    if (!Number.isFinite(x)) throw new Error(`vector component ${i} is not finite`);
    sum += x * x;
  }
  if (!(sum > 0)) throw new Error("vector has zero length");
  return out;
}
