import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bestThreshold, type ScoredPair, statsAt } from "./calibration.ts";

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
