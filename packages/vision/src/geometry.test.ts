import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  applySimilarity,
  type Box,
  estimateSimilarity,
  invertSimilarity,
  iou,
  nms,
  type Point,
} from "./geometry.ts";

describe("iou", () => {
  it("is 1 for identical boxes and 0 for disjoint ones", () => {
    assert.equal(iou([0, 0, 10, 10], [0, 0, 10, 10]), 1);
    assert.equal(iou([0, 0, 10, 10], [10, 10, 20, 20]), 0);
    assert.equal(iou([0, 0, 10, 10], [20, 0, 30, 10]), 0);
  });
  it("computes partial overlap", () => {
    // 5×10 overlap = 50; union = 100 + 100 − 50
    assert.equal(iou([0, 0, 10, 10], [5, 0, 15, 10]), 50 / 150);
  });
  it("is 0 for degenerate boxes", () => {
    assert.equal(iou([0, 0, 0, 0], [0, 0, 10, 10]), 0);
  });
});

describe("nms", () => {
  it("keeps the best of overlapping boxes and every separate one, best first", () => {
    const boxes: Box[] = [
      [0, 0, 10, 10],
      [1, 1, 11, 11],
      [50, 50, 60, 60],
      [0, 0, 9, 10],
    ];
    const kept = nms(boxes, [0.8, 0.9, 0.7, 0.6], 0.4);
    assert.deepEqual(kept, [1, 2]);
  });
  it("keeps overlapping boxes under the threshold", () => {
    const kept = nms(
      [
        [0, 0, 10, 10],
        [5, 0, 15, 10],
      ],
      [0.9, 0.8],
      0.4,
    );
    assert.deepEqual(kept, [0, 1]);
  });
  it("honours the limit", () => {
    const boxes: Box[] = [0, 1, 2, 3].map((i) => [i * 20, 0, i * 20 + 10, 10]);
    assert.deepEqual(nms(boxes, [0.1, 0.4, 0.3, 0.2], 0.5, 2), [1, 2]);
  });
});

describe("similarity transform", () => {
  const src: Point[] = [
    [10, 20],
    [40, 18],
    [25, 35],
    [14, 50],
    [38, 49],
  ];
  it("recovers a known rotation, scale and translation exactly", () => {
    const angle = 0.3;
    const scale = 1.7;
    const truth = { a: scale * Math.cos(angle), b: scale * Math.sin(angle), tx: 5, ty: -7 };
    const dst = src.map((p) => applySimilarity(truth, p));
    const m = estimateSimilarity(src, dst);
    for (const k of ["a", "b", "tx", "ty"] as const) assert.ok(Math.abs(m[k] - truth[k]) < 1e-9, k);
  });
  it("is the least-squares fit for noisy points and inverts", () => {
    const dst = src.map(([x, y], i) => [2 * x + (i % 2 ? 0.5 : -0.5), 2 * y + 3] as Point);
    const m = estimateSimilarity(src, dst);
    assert.ok(Math.abs(Math.hypot(m.a, m.b) - 2) < 0.05);
    const inv = invertSimilarity(m);
    for (const p of src) {
      const back = applySimilarity(inv, applySimilarity(m, p));
      assert.ok(Math.abs(back[0] - p[0]) < 1e-9 && Math.abs(back[1] - p[1]) < 1e-9);
    }
  });
  it("refuses degenerate input", () => {
    assert.throws(() => estimateSimilarity([[1, 1]], [[2, 2]]), /at least 2/);
    assert.throws(
      () =>
        estimateSimilarity(
          [
            [1, 1],
            [1, 1],
          ],
          [
            [0, 0],
            [1, 1],
          ],
        ),
      /identical/,
    );
  });
});
