/**
 * Pseudo-random unit vectors (tests, contract, benchmarks): reproducible across runs when drawn from a
 * seeded generator (@facetracker/infra's seededRandom).
 */

/** Standard normal samples (Box-Muller) from a uniform generator. */
export function gaussian(random: () => number): () => number {
  return () => {
    const u = 1 - random(); // (0, 1]
    const v = random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

function normalise(v: Float32Array): Float32Array {
  let sum = 0;
  for (const x of v) sum += x * x;
  const norm = Math.sqrt(sum);
  for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) / norm;
  return v;
}

/** A uniformly distributed random unit vector. */
export function randomUnitVector(dimension: number, random: () => number): Float32Array {
  const normal = gaussian(random);
  const v = new Float32Array(dimension);
  for (let i = 0; i < dimension; i++) v[i] = normal();
  return normalise(v);
}

/**
 * A unit vector whose cosine similarity with the unit vector `base` is exactly `similarity` (up to float32
 * rounding): base * s + u * sqrt(1 - s^2), u a random unit vector orthogonal to base.
 */
export function vectorWithSimilarity(
  base: Float32Array,
  similarity: number,
  random: () => number,
): Float32Array {
  const u = randomUnitVector(base.length, random);
  let dot = 0;
  for (let i = 0; i < base.length; i++) dot += (u[i] as number) * (base[i] as number);
  for (let i = 0; i < base.length; i++) u[i] = (u[i] as number) - dot * (base[i] as number);
  normalise(u);
  const t = Math.sqrt(Math.max(0, 1 - similarity * similarity));
  const out = new Float32Array(base.length);
  for (let i = 0; i < base.length; i++) out[i] = similarity * (base[i] as number) + t * (u[i] as number);
  return normalise(out);
}

export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return dot / Math.sqrt(na * nb);
}
