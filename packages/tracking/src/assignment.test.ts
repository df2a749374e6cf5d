import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { seededRandom } from "@facetracker/infra";
import { iouMatrix, linearAssignment } from "./assignment.ts";

/** Σ (cost − threshold) over the matched pairs: what the assignment minimises. */
function gain(cost: number[][], matches: [number, number][], threshold: number): number {
  return matches.reduce((sum, [r, c]) => sum + ((cost[r]?.[c] as number) - threshold), 0);
}

/** Exhaustive optimum of the same objective: every row either takes a free column or stays unmatched. */
function bruteForceBest(cost: number[][], threshold: number): number {
  const columns = cost[0]?.length ?? 0;
  const used = new Array<boolean>(columns).fill(false);
  const search = (row: number): number => {
    if (row === cost.length) return 0;
    let best = search(row + 1); // row unmatched
    for (let c = 0; c < columns; c++) {
      const value = cost[row]?.[c] as number;
      if (used[c] || !(value <= threshold)) continue;
      used[c] = true;
      best = Math.min(best, value - threshold + search(row + 1));
      used[c] = false;
    }
    return best;
  };
  return search(0);
}

describe("linearAssignment", () => {
  it("finds the optimum where greedy smallest-cost-first is wrong", () => {
    const cost = [
      [0.1, 0.2],
      [0.15, 0.9],
    ];
    // Greedy takes (0,0) = 0.1 then is left with (1,1) = 0.9 (total 1.0); the optimum is 0.2 + 0.15.
    assert.deepEqual(linearAssignment(cost, 1).matches, [
      [0, 1],
      [1, 0],
    ]);
    // With a threshold of 0.8, greedy would match one pair only; the optimum still matches both.
    const result = linearAssignment(cost, 0.8);
    assert.equal(result.matches.length, 2);
    assert.deepEqual(result.unmatchedRows, []);
    assert.deepEqual(result.unmatchedColumns, []);
  });

  it("leaves pairs above the threshold unmatched", () => {
    const result = linearAssignment(
      [
        [0.9, 0.3],
        [0.95, 0.99],
      ],
      0.5,
    );
    assert.deepEqual(result.matches, [[0, 1]]);
    assert.deepEqual(result.unmatchedRows, [1]);
    assert.deepEqual(result.unmatchedColumns, [0]);
  });

  it("prefers two cheap matches over one cheaper match when the threshold allows it", () => {
    // (1,1) is over the threshold: (0,0) alone scores 0 − 0.7, (0,1) + (1,0) scores 2 × (0.3 − 0.7).
    const cost = [
      [0.0, 0.3],
      [0.3, 1.0],
    ];
    const result = linearAssignment(cost, 0.7);
    assert.deepEqual(result.matches, [
      [0, 1],
      [1, 0],
    ]);
  });

  it("handles rectangular matrices in both orientations", () => {
    const wide = linearAssignment(
      [
        [0.5, 0.1, 0.9],
        [0.2, 0.15, 0.9],
      ],
      1,
    );
    assert.deepEqual(wide.matches, [
      [0, 1],
      [1, 0],
    ]);
    assert.deepEqual(wide.unmatchedColumns, [2]);
    const tall = linearAssignment(
      [
        [0.5, 0.2],
        [0.1, 0.15],
        [0.9, 0.9],
      ],
      1,
    );
    assert.deepEqual(tall.matches, [
      [0, 1],
      [1, 0],
    ]);
    assert.deepEqual(tall.unmatchedRows, [2]);
  });

  it("handles empty sides", () => {
    assert.deepEqual(linearAssignment([], 0.5, 3), {
      matches: [],
      unmatchedRows: [],
      unmatchedColumns: [0, 1, 2],
    });
    assert.deepEqual(linearAssignment([[], []], 0.5), {
      matches: [],
      unmatchedRows: [0, 1],
      unmatchedColumns: [],
    });
  });

  it("never matches NaN or infinite costs", () => {
    const result = linearAssignment(
      [
        [Number.NaN, 0.4],
        [Infinity, 0.2],
      ],
      Infinity,
    );
    assert.deepEqual(result.matches, [[1, 1]]);
  });

  it("rejects ragged matrices", () => {
    assert.throws(() => linearAssignment([[0.1, 0.2], [0.3]], 1), RangeError);
  });

  it("matches the exhaustive optimum on random matrices", () => {
    const random = seededRandom(11);
    for (let trial = 0; trial < 300; trial++) {
      const rows = 1 + Math.floor(random() * 6);
      const columns = 1 + Math.floor(random() * 6);
      const cost = Array.from({ length: rows }, () => Array.from({ length: columns }, () => random()));
      const threshold = 0.2 + random() * 0.8;
      const result = linearAssignment(cost, threshold);
      for (const [r, c] of result.matches) assert.ok((cost[r]?.[c] as number) <= threshold);
      assert.equal(
        new Set(result.matches.map(([, c]) => c)).size,
        result.matches.length,
        "columns used once",
      );
      assert.equal(result.matches.length + result.unmatchedRows.length, rows);
      assert.equal(result.matches.length + result.unmatchedColumns.length, columns);
      const expected = bruteForceBest(cost, threshold);
      assert.ok(Math.abs(gain(cost, result.matches, threshold) - expected) < 1e-9, `trial ${trial}`);
    }
  });
});

describe("iouMatrix", () => {
  it("computes IoU for every pair", () => {
    const m = iouMatrix(
      [
        [0, 0, 10, 10],
        [100, 100, 110, 120],
      ],
      [
        [0, 0, 10, 10],
        [5, 0, 15, 10],
        [50, 50, 60, 60],
      ],
    );
    assert.deepEqual(m[0], [1, 50 / 150, 0]);
    assert.deepEqual(m[1], [0, 0, 0]);
    assert.deepEqual(iouMatrix([], [[0, 0, 1, 1]]), []);
  });
});
