import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Box } from "./geometry.ts";
import { planTiles, shouldTile, touchesInnerEdge } from "./tiling.ts";

describe("planTiles", () => {
  it("covers a 1080p frame with overlapping 640×480 tiles", () => {
    const roi: Box = [0, 0, 1920, 1080];
    const tiles = planTiles(roi);
    assert.equal(tiles.length, 4 * 3);
    for (const t of tiles) {
      assert.equal(t[2] - t[0], 640);
      assert.equal(t[3] - t[1], 480);
      assert.ok(t[0] >= 0 && t[1] >= 0 && t[2] <= 1920 && t[3] <= 1080);
    }
    // Every pixel is covered, and neighbours share at least a quarter of a tile.
    const xs = [...new Set(tiles.map((t) => t[0]))].sort((a, b) => a - b);
    assert.equal(xs[0], 0);
    assert.equal((xs.at(-1) as number) + 640, 1920);
    for (let i = 1; i < xs.length; i++) assert.ok((xs[i - 1] as number) + 640 - (xs[i] as number) >= 160);
  });

  it("keeps a region no larger than a tile whole", () => {
    assert.deepEqual(planTiles([100, 50, 500, 350]), [[100, 50, 500, 350]]);
  });

  it("tiles only regions above 1280×720 in auto mode", () => {
    assert.equal(shouldTile([0, 0, 1280, 720]), false);
    assert.equal(shouldTile([0, 0, 1920, 1080]), true);
  });
});

describe("touchesInnerEdge", () => {
  const roi: Box = [0, 0, 1920, 1080];
  it("flags boxes cut by an inner tile edge, not by the frame border", () => {
    const tile: Box = [640, 0, 1280, 480];
    assert.equal(touchesInnerEdge([641, 100, 700, 160], tile, roi), true);
    assert.equal(touchesInnerEdge([700, 100, 760, 160], tile, roi), false);
    assert.equal(touchesInnerEdge([700, 0, 760, 60], tile, roi), false, "top edge is the frame border");
  });
});
