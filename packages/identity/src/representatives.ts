/**
 * A few representative embeddings of a track: k-means (cosine, k-means++ seeding with a fixed seed) over
 * the track's embeddings; the centres, L2-normalised, stand for the track when enrolling from video.
 */

import { seededRandom } from "@facetracker/infra";

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

function normalize(v: Float32Array): Float32Array {
  const n = Math.sqrt(dot(v, v));
  if (n > 0) for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) / n;
  return v;
}

export function representativeEmbeddings(
  vectors: readonly Float32Array[],
  k = 3,
  iterations = 10,
): Float32Array[] {
  if (vectors.length === 0) return [];
  if (vectors.length <= k) return vectors.map((v) => normalize(Float32Array.from(v)));
  const random = seededRandom(42);
  const centres: Float32Array[] = [
    Float32Array.from(vectors[Math.floor(random() * vectors.length)] as Float32Array),
  ];
  while (centres.length < k) {
    const d = vectors.map((v) => Math.max(0, 1 - Math.max(...centres.map((c) => dot(c, v)))));
    const total = d.reduce((s, x) => s + x, 0);
    if (total === 0) break;
    let r = random() * total;
    let pick = 0;
    for (; pick < d.length - 1; pick++) {
      r -= d[pick] as number;
      if (r <= 0) break;
    }
    centres.push(Float32Array.from(vectors[pick] as Float32Array));
  }
  const assignment = new Int32Array(vectors.length);
  for (let it = 0; it < iterations; it++) {
    vectors.forEach((v, i) => {
      let best = 0;
      let bestSim = Number.NEGATIVE_INFINITY;
      centres.forEach((c, j) => {
        const s = dot(c, v);
        if (s > bestSim) {
          bestSim = s;
          best = j;
        }
      });
      assignment[i] = best;
    });
    const sums = centres.map((c) => new Float32Array(c.length));
    const counts = new Int32Array(centres.length);
    vectors.forEach((v, i) => {
      const j = assignment[i] as number;
      counts[j] = (counts[j] as number) + 1;
      const s = sums[j] as Float32Array;
      for (let d = 0; d < v.length; d++) s[d] = (s[d] as number) + (v[d] as number);
    });
    sums.forEach((s, j) => {
      if ((counts[j] as number) > 0) centres[j] = normalize(s);
    });
  }
  // Largest clusters first; empty ones dropped.
  const counts = new Int32Array(centres.length);
  for (const j of assignment) counts[j] = (counts[j] as number) + 1;
  return centres
    .map((c, j) => ({ c, n: counts[j] as number }))
    .filter((x) => x.n > 0)
    .sort((a, b) => b.n - a.n)
    .map((x) => x.c);
}
