/** Which of a track's embeddings the face memory keeps: a few, chosen for quality and diversity. */

/** One embedding of a track (L2-normalised) and the quality of its face (higher is better). */
export interface CandidateEmbedding {
  vector: Float32Array;
  quality: number;
}

/** Two embeddings this similar are the same face: the second adds nothing to a search. */
const SAME_FACE = 0.9999;

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

/**
 * Up to `n` of `candidates` that stand for the track: the best face first (highest quality, the earliest of
 * equals), then one at a time the face least like those already chosen (greedy farthest point: the lowest
 * best similarity to the chosen; the better quality of equals), so that a face seen from several sides is
 * found from each of them. A candidate identical to a chosen one is never taken. Deterministic.
 */
export function chooseRepresentatives<T extends CandidateEmbedding>(
  candidates: readonly T[],
  n: number,
): T[] {
  if (n <= 0 || candidates.length === 0) return [];
  let first = 0;
  candidates.forEach((c, i) => {
    if (c.quality > (candidates[first] as T).quality) first = i;
  });
  const chosen: T[] = [candidates[first] as T];
  /** Each candidate's best similarity to the chosen ones. */
  const nearest = candidates.map((c) => dot(c.vector, (candidates[first] as T).vector));
  nearest[first] = Number.POSITIVE_INFINITY;
  while (chosen.length < n) {
    let pick = -1;
    for (let i = 0; i < candidates.length; i++) {
      const s = nearest[i] as number;
      if (s >= SAME_FACE) continue;
      const best = pick < 0 ? undefined : (nearest[pick] as number);
      if (
        best === undefined ||
        s < best ||
        (s === best && (candidates[i] as T).quality > (candidates[pick] as T).quality)
      )
        pick = i;
    }
    if (pick < 0) break;
    const picked = candidates[pick] as T;
    chosen.push(picked);
    nearest[pick] = Number.POSITIVE_INFINITY;
    candidates.forEach((c, i) => {
      if (nearest[i] !== Number.POSITIVE_INFINITY)
        nearest[i] = Math.max(nearest[i] as number, dot(c.vector, picked.vector));
    });
  }
  return chosen;
}
