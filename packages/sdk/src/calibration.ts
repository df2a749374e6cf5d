/** Verification statistics over labelled pairs: accuracy and match rates at a threshold, and the best one. */

export interface ScoredPair {
  similarity: number;
  same: boolean;
}

export interface ThresholdStats {
  threshold: number;
  accuracy: number;
  /** Same-person pairs accepted (true match rate). */
  trueMatchRate: number;
  /** Different-person pairs accepted (false match rate). */
  falseMatchRate: number;
}

export function statsAt(pairs: readonly ScoredPair[], threshold: number): ThresholdStats {
  let tp = 0;
  let fp = 0;
  let same = 0;
  let correct = 0;
  for (const p of pairs) {
    const accept = p.similarity >= threshold;
    if (p.same) same++;
    if (accept && p.same) tp++;
    if (accept && !p.same) fp++;
    if (accept === p.same) correct++;
  }
  const diff = pairs.length - same;
  return {
    threshold,
    accuracy: pairs.length ? correct / pairs.length : 0,
    trueMatchRate: same ? tp / same : 0,
    falseMatchRate: diff ? fp / diff : 0,
  };
}

/**
 * The threshold with the best accuracy on these pairs: every gap between consecutive similarities is a
 * candidate; of the best interval the midpoint is returned (the most margin on both sides).
 */
export function bestThreshold(pairs: readonly ScoredPair[]): ThresholdStats {
  if (pairs.length === 0) throw new Error("no scored pairs");
  const sims = [...new Set(pairs.map((p) => p.similarity))].sort((a, b) => a - b);
  const candidates = [(sims[0] as number) - 1e-6];
  for (let i = 0; i < sims.length; i++) {
    const next = sims[i + 1];
    candidates.push(next === undefined ? (sims[i] as number) + 1e-6 : ((sims[i] as number) + next) / 2);
  }
  const accuracies = candidates.map((t) => statsAt(pairs, t).accuracy);
  const top = Math.max(...accuracies);
  const first = accuracies.indexOf(top);
  let last = first;
  while (accuracies[last + 1] === top) last++;
  const lo = candidates[first] as number;
  const hi = candidates[last] as number;
  return statsAt(pairs, (lo + hi) / 2);
}
