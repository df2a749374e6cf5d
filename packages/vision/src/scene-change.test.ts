import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RgbImage } from "./image.ts";
import { SceneChangeDetector } from "./scene-change.ts";

function frame(fill: (x: number, y: number) => number, width = 320, height = 180): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) data.fill(fill(x, y), (y * width + x) * 3, (y * width + x) * 3 + 3);
  return { width, height, data };
}

describe("SceneChangeDetector", () => {
  it("ignores motion within a shot and flags a cut", () => {
    const d = new SceneChangeDetector();
    const gradient = (shift: number) => frame((x, y) => (x + y + shift) % 256);
    assert.equal(d.isCut(gradient(0)), false, "first frame");
    assert.equal(d.isCut(gradient(4)), false, "small motion");
    assert.equal(d.isCut(frame((x) => (x < 160 ? 20 : 230))), true, "another picture");
    assert.equal(d.isCut(frame((x) => (x < 162 ? 20 : 230))), false);
  });
});
