/** Vectors as bytes: little-endian float32, the layout of the database's `vector` column and of the old journal. */

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The little-endian float32 bytes of `vector` (a copy). */
export function vectorToBytes(vector: Float32Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(vector.buffer, vector.byteOffset, vector.byteLength).slice();
  const bytes = Buffer.alloc(vector.length * 4);
  for (let i = 0; i < vector.length; i++) bytes.writeFloatLE(vector[i] as number, i * 4);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

/**
 * Reads `dimension` little-endian float32 values; throws an Error saying what is wrong when the length is
 * not `dimension * 4` bytes, a value is not finite, or the vector has zero length (it cannot be searched).
 */
export function vectorFromBytes(bytes: Uint8Array, dimension: number): Float32Array {
  if (bytes.length !== dimension * 4) {
    throw new Error(`vector has ${bytes.length} bytes, expected ${dimension * 4} (dimension ${dimension})`);
  }
  const out = new Float32Array(dimension);
  if (LITTLE_ENDIAN) new Uint8Array(out.buffer).set(bytes);
  else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < dimension; i++) out[i] = view.getFloat32(i * 4, true);
  }
  let sum = 0;
  for (let i = 0; i < dimension; i++) {
    const x = out[i] as number;
    if (!Number.isFinite(x)) throw new Error(`vector component ${i} is not finite`);
    sum += x * x;
  }
  if (!(sum > 0)) throw new Error("vector has zero length");
  return out;
}
