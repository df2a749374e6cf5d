import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { jpegQuantTables } from "./jpeg-quality.ts";

describe("jpegQuantTables", () => {
  it("scales the Annex K tables as libjpeg does", () => {
    assert.deepEqual(
      jpegQuantTables(50).luma.slice(0, 8),
      [16, 11, 10, 16, 24, 40, 51, 61],
      "50 is the tables as is",
    );
    // Quality 80: 40 %, rounded half up (16 → 6, 11 → 4, 10 → 4, 61 → 24, 99 → 40).
    assert.deepEqual(jpegQuantTables(80).luma.slice(0, 8), [6, 4, 4, 6, 10, 16, 20, 24]);
    assert.equal(jpegQuantTables(80).chroma.at(-1), 40);
    // Quality 10: 500 %, clipped to 255 for baseline; quality 100: all ones.
    assert.deepEqual(jpegQuantTables(10).luma.slice(0, 3), [80, 55, 50]);
    assert.equal(jpegQuantTables(10).chroma.at(-1), 255);
    assert.ok(jpegQuantTables(100).luma.every((v) => v === 1));
    assert.ok(jpegQuantTables(100).chroma.every((v) => v === 1));
    for (const q of [1, 37, 80, 100]) {
      const { luma, chroma } = jpegQuantTables(q);
      assert.deepEqual([luma.length, chroma.length], [64, 64]);
    }
  });

  it("gives coarser tables for lower qualities", () => {
    for (let q = 2; q <= 100; q++) {
      const [lower, higher] = [jpegQuantTables(q - 1).luma, jpegQuantTables(q).luma];
      assert.ok(
        higher.every((v, i) => v <= (lower[i] as number)),
        `quality ${q}`,
      );
    }
  });

  it("rejects qualities that are not integers in [1, 100]", () => {
    for (const bad of [0, 101, 80.5, Number.NaN]) assert.throws(() => jpegQuantTables(bad), RangeError);
  });
});
