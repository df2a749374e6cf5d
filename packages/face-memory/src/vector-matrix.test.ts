import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { seededRandom } from "@facetracker/infra";
import { randomUnitVector } from "@facetracker/testing/gallery";
import { VectorMatrix } from "./vector-matrix.ts";

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

describe("VectorMatrix (SIMD scoring)", () => {
  for (const dimension of [1, 13, 512]) {
    it(`scores every row and a list of rows as plain dot products (dimension ${dimension}, through growth)`, () => {
      const random = seededRandom(dimension);
      const matrix = new VectorMatrix(dimension, 2);
      const rows = Array.from({ length: 37 }, () => randomUnitVector(dimension, random));
      for (const [i, v] of rows.entries()) assert.equal(matrix.add(v), i);
      assert.ok(matrix.capacity >= 37);
      const query = randomUnitVector(dimension, random);
      const all = matrix.scoreAll(query);
      assert.equal(all.length, 37);
      for (const [i, v] of rows.entries()) {
        assert.ok(Math.abs((all[i] as number) - dot(v, query)) < 1e-5, `row ${i}`);
      }
      const picked = [30, 2, 17];
      const some = Array.from(matrix.scoreRows(query, picked));
      for (const [k, r] of picked.entries()) {
        assert.ok(Math.abs((some[k] as number) - dot(rows[r] as Float32Array, query)) < 1e-5, `row ${r}`);
      }
      assert.deepEqual(Array.from(matrix.row(5)), Array.from(rows[5] as Float32Array));
    });
  }

  it("removes a row by moving the last one into its place", () => {
    const matrix = new VectorMatrix(3);
    for (const v of [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ])
      matrix.add(v);
    matrix.copyRow(2, 0);
    matrix.pop();
    assert.equal(matrix.size, 2);
    assert.deepEqual(Array.from(matrix.scoreAll([1, 2, 3])), [3, 2]);
    assert.throws(() => matrix.row(2), /row 2 out of range/);
    assert.throws(() => matrix.add([1, 2]), /dimension 2, expected 3/);
    assert.throws(() => matrix.scoreAll([1]), /query has dimension 1/);
  });
});
