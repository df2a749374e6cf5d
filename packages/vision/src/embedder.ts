import { ALIGNED_SIZE } from "./align.ts";
import { EMBEDDING_DIM } from "./embedding-dim.ts";
import type { RgbImage } from "./image.ts";
import { createSession, type RuntimeOptions, type Session, Tensor } from "./onnx-session.ts";
import { imageToTensor } from "./sampling.ts";

export { EMBEDDING_DIM };

export function l2normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += (v[i] as number) * (v[i] as number);
  const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
  for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) * inv;
  return v;
}

export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += (a[i] as number) * (b[i] as number);
    na += (a[i] as number) * (a[i] as number);
    nb += (b[i] as number) * (b[i] as number);
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}

/** Face embedder: aligned 112×112 RGB crops → L2-normalised 512-d vectors. */
export class FaceEmbedder {
  readonly #session: Session;

  private constructor(session: Session) {
    this.#session = session;
  }

  static async create(options: RuntimeOptions = {}): Promise<FaceEmbedder> {
    return new FaceEmbedder(await createSession("embedder", options));
  }

  async embed(face: RgbImage): Promise<Float32Array> {
    return (await this.embedWithNorm(face)).embedding;
  }

  /**
   * The L2-normalised embedding and the norm the network's output had before normalisation (a face-quality
   * signal: patterns, blurs and fragments get smaller norms than faces; see face-quality.ts).
   */
  async embedWithNorm(face: RgbImage): Promise<{ embedding: Float32Array; norm: number }> {
    if (face.width !== ALIGNED_SIZE || face.height !== ALIGNED_SIZE) {
      throw new Error(
        `embedder: expected a ${ALIGNED_SIZE}×${ALIGNED_SIZE} aligned face, got ${face.width}×${face.height}`,
      );
    }
    // A fresh input per call: onnxruntime runs asynchronously (see FaceDetector.candidates).
    const input = new Float32Array(3 * ALIGNED_SIZE * ALIGNED_SIZE);
    imageToTensor(face, 127, 128, input);
    const out = await this.#session.run({
      input: new Tensor("float32", input, [1, 3, ALIGNED_SIZE, ALIGNED_SIZE]),
    });
    const first = Object.values(out)[0];
    const data = first?.data as Float32Array | undefined;
    if (!data || data.length !== EMBEDDING_DIM) throw new Error("embedder: unexpected output shape");
    const embedding = Float32Array.from(data);
    let sum = 0;
    for (const v of embedding) sum += v * v;
    return { embedding: l2normalize(embedding), norm: Math.sqrt(sum) };
  }

  /** Embeds a batch (the graph has batch size 1: one run per face, session reused). */
  async embedBatch(faces: RgbImage[]): Promise<Float32Array[]> {
    const result: Float32Array[] = [];
    for (const face of faces) result.push(await this.embed(face));
    return result;
  }
}
