import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bestThreshold, errorRatesAt, type ScoredPair, statsAt, thresholdForFar } from "./calibration.ts";

const pairs: ScoredPair[] = [
  { similarity: 0.9, same: true },
  { similarity: 0.6, same: true },
  { similarity: 0.45, same: true },
  { similarity: 0.3, same: false },
  { similarity: 0.2, same: false },
  { similarity: 0.5, same: false },
];

describe("statsAt", () => {
  it("counts accuracy and match rates at a threshold", () => {
    const s = statsAt(pairs, 0.4);
    assert.equal(s.accuracy, 5 / 6);
    assert.equal(s.trueMatchRate, 1);
    assert.equal(s.falseMatchRate, 1 / 3);
  });
});

describe("bestThreshold", () => {
  it("finds the threshold with the best accuracy, in the middle of its interval", () => {
    const best = bestThreshold(pairs);
    assert.equal(best.accuracy, 5 / 6);
    // Either side of the 0.5 outlier gives 5/6: 0.375 (between 0.3 and 0.45) or 0.55 (between 0.5 and 0.6).
    assert.ok(best.threshold === 0.375 || best.threshold === 0.55, String(best.threshold));
  });
  it("separates perfectly separable pairs", () => {
    const best = bestThreshold([
      { similarity: 0.8, same: true },
      { similarity: 0.7, same: true },
      { similarity: 0.2, same: false },
    ]);
    assert.equal(best.accuracy, 1);
    assert.ok(Math.abs(best.threshold - 0.45) < 1e-12);
  });
  it("refuses an empty list", () => {
    assert.throws(() => bestThreshold([]), /no scored pairs/);
  });
});

describe("errorRatesAt", () => {
  it("counts false accepts over different-person pairs and false rejects over same-person pairs", () => {
    // At 0.4: the 0.5 different pair is accepted (1 of 3), no same pair is rejected (0 of 3).
    assert.deepEqual(errorRatesAt(pairs, 0.4), {
      threshold: 0.4,
      falseAccepts: 1,
      negatives: 3,
      far: 1 / 3,
      falseRejects: 0,
      positives: 3,
      frr: 0,
    });
    // At 0.55: nothing different accepted; the 0.45 same pair rejected.
    const r = errorRatesAt(pairs, 0.55);
    assert.equal(r.far, 0);
    assert.equal(r.falseRejects, 1);
    assert.equal(r.frr, 1 / 3);
    // A score equal to the threshold is accepted.
    assert.equal(errorRatesAt(pairs, 0.5).falseAccepts, 1);
  });
});

describe("thresholdForFar", () => {
  // 10 different-person pairs scoring 0.05 … 0.50, 4 same-person pairs.
  const many: ScoredPair[] = [
    ...Array.from({ length: 10 }, (_, i) => ({ similarity: 0.05 * (i + 1), same: false })),
    { similarity: 0.9, same: true },
    { similarity: 0.7, same: true },
    { similarity: 0.42, same: true },
    { similarity: 0.3, same: true },
  ];

  it("allows ⌊target × negatives⌋ false accepts and takes the midpoint above the first score it rejects", () => {
    const t = thresholdForFar(many, 0.1); // 1 false accept allowed: 0.50 accepted, 0.45 rejected
    assert.equal(t.falseAccepts, 1);
    assert.equal(t.far, 0.1);
    // The next score above 0.45 is 0.5: the midpoint.
    assert.ok(Math.abs(t.threshold - 0.475) < 1e-12, String(t.threshold));
    assert.equal(t.falseRejects, 2); // 0.42 and 0.3
    assert.equal(t.belowResolution, false);
    assert.equal(t.resolution, 0.1);
    const t2 = thresholdForFar(many, 0.25); // 2 allowed: 0.45 and 0.5 accepted, 0.4 rejected
    assert.equal(t2.falseAccepts, 2);
    assert.ok(Math.abs(t2.threshold - 0.41) < 1e-12, String(t2.threshold)); // between 0.40 and 0.42
    assert.equal(t2.falseRejects, 1);
  });

  it("says when the target is below what the pairs can resolve", () => {
    const t = thresholdForFar(many, 0.001);
    assert.equal(t.falseAccepts, 0);
    assert.equal(t.belowResolution, true);
    assert.ok(t.threshold > 0.5 && t.threshold < 0.7, String(t.threshold)); // between 0.5 and 0.7
    assert.equal(t.frr, 0.5);
  });

  it("accepts everything for a target of 1, and refuses pairs without negatives or a bad target", () => {
    assert.equal(thresholdForFar(many, 1).far, 1);
    assert.throws(
      () => thresholdForFar([{ similarity: 0.9, same: true }], 0.01),
      /no different-person pairs/,
    );
    assert.throws(() => thresholdForFar(many, 2), /target FAR must be in 0\.\.1/);
  });
});
