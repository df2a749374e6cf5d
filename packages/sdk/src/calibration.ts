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

/** Error counts and rates at a threshold (a pair is accepted as the same person at similarity ≥ threshold). */
export interface ErrorRates {
  threshold: number;
  /** Different-person pairs accepted, of `negatives`. */
  falseAccepts: number;
  negatives: number;
  /** False-accept rate: falseAccepts / negatives (0 when there are none). */
  far: number;
  /** Same-person pairs rejected, of `positives`. */
  falseRejects: number;
  positives: number;
  /** False-reject rate: falseRejects / positives (0 when there are none). */
  frr: number;
}

export function errorRatesAt(pairs: readonly ScoredPair[], threshold: number): ErrorRates {
  let falseAccepts = 0;
  let falseRejects = 0;
  let positives = 0;
  for (const p of pairs) {
    const accept = p.similarity >= threshold;
    if (p.same) {
      positives++;
      if (!accept) falseRejects++;
    } else if (accept) falseAccepts++;
  }
  const negatives = pairs.length - positives;
  return {
    threshold,
    falseAccepts,
    negatives,
    far: negatives ? falseAccepts / negatives : 0,
    falseRejects,
    positives,
    frr: positives ? falseRejects / positives : 0,
  };
}

/** The threshold found for a target false-accept rate, with the rates it gives on the pairs. */
export interface FarThreshold extends ErrorRates {
  targetFar: number;
  /** The smallest non-zero FAR these pairs can show: 1 / negatives. */
  resolution: number;
  /**
   * The target is below the resolution: the threshold accepts no different-person pair here, which is all
   * these pairs can say (the true FAR at it may be anywhere below about 1/negatives).
   */
  belowResolution: boolean;
}

/**
 * The lowest threshold whose false-accept rate on these pairs is at most `targetFar`: it accepts at most
 * ⌊targetFar × negatives⌋ different-person pairs. Any threshold between the first different-person score
 * it must reject and the next higher score makes the same decisions on these pairs; the midpoint is
 * returned (the most margin on both sides), or that score + 1e-6 when no score is higher.
 */
export function thresholdForFar(pairs: readonly ScoredPair[], targetFar: number): FarThreshold {
  if (!(targetFar >= 0 && targetFar <= 1))
    throw new Error(`the target FAR must be in 0..1, got ${targetFar}`);
  const negatives = pairs
    .filter((p) => !p.same)
    .map((p) => p.similarity)
    .sort((a, b) => b - a);
  if (negatives.length === 0)
    throw new Error("no different-person pairs: a false-accept rate cannot be measured");
  const resolution = 1 / negatives.length;
  const allowed = Math.floor(targetFar * negatives.length + 1e-9);
  let threshold: number;
  if (allowed >= negatives.length) {
    threshold = Math.min(...pairs.map((p) => p.similarity));
  } else {
    const rejected = negatives[allowed] as number;
    const above = pairs.map((p) => p.similarity).filter((s) => s > rejected);
    threshold = above.length ? (rejected + Math.min(...above)) / 2 : rejected + 1e-6;
  }
  return {
    ...errorRatesAt(pairs, threshold),
    targetFar,
    resolution,
    belowResolution: targetFar < resolution,
  };
}
