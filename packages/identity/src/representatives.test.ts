import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { representativeEmbeddings } from "./representatives.ts";

function unit(v: number[]): Float32Array {
  const n = Math.hypot(...v);
  return Float32Array.from(v.map((x) => x / n));
}

describe("representativeEmbeddings", () => {
  it("finds the centres of clusters, largest first", () => {
    const a = [unit([1, 0.1, 0]), unit([1, -0.1, 0]), unit([1, 0, 0.1]), unit([1, 0, -0.1])];
    const b = [unit([0, 1, 0.1]), unit([0, 1, -0.1])];
    const centres = representativeEmbeddings([...a, ...b, ...a], 2);
    assert.equal(centres.length, 2);
    assert.ok((centres[0]?.[0] as number) > 0.99, `first centre ${centres[0]}`);
    assert.ok((centres[1]?.[1] as number) > 0.99, `second centre ${centres[1]}`);
    for (const c of centres) assert.ok(Math.abs(Math.hypot(...c) - 1) < 1e-5);
  });

  it("returns the vectors themselves when there are at most k", () => {
    assert.equal(representativeEmbeddings([unit([1, 2, 3])], 3).length, 1);
    assert.deepEqual(representativeEmbeddings([], 3), []);
  });
});
