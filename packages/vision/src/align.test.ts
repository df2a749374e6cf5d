import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ALIGNED_SIZE, ARCFACE_REFERENCE, alignFace, alignmentTransform } from "./align.ts";
import { applySimilarity, type Point } from "./geometry.ts";
import type { RgbImage } from "./image.ts";
import { fivePoints } from "./landmarks.ts";

/** A grey image with a 3×3 white square centred on each point. */
function imageWithDots(width: number, height: number, points: Point[]): RgbImage {
  const data = new Uint8Array(width * height * 3).fill(40);
  for (const [px, py] of points) {
    for (let y = Math.round(py) - 1; y <= Math.round(py) + 1; y++) {
      for (let x = Math.round(px) - 1; x <= Math.round(px) + 1; x++)
        data.fill(255, (y * width + x) * 3, (y * width + x) * 3 + 3);
    }
  }
  return { width, height, data };
}

function brightest(img: RgbImage, near: Point, radius = 4): Point {
  let best: Point = [0, 0];
  let bestSum = -1;
  for (let y = Math.round(near[1]) - radius; y <= Math.round(near[1]) + radius; y++) {
    for (let x = Math.round(near[0]) - radius; x <= Math.round(near[0]) + radius; x++) {
      if (x < 0 || y < 0 || x >= img.width || y >= img.height) continue;
      const v = img.data[(y * img.width + x) * 3] as number;
      if (v > bestSum) {
        bestSum = v;
        best = [x, y];
      }
    }
  }
  return best;
}

describe("alignFace", () => {
  it("maps the five points of a rotated, scaled face onto the ArcFace reference", () => {
    const angle = -0.25;
    const scale = 2.3;
    const m = { a: scale * Math.cos(angle), b: scale * Math.sin(angle), tx: 120, ty: 80 };
    const five = ARCFACE_REFERENCE.map((p) => applySimilarity(m, p));
    const image = imageWithDots(500, 450, five);
    const aligned = alignFace(image, five);
    assert.equal(aligned.width, ALIGNED_SIZE);
    assert.equal(aligned.height, ALIGNED_SIZE);
    for (const ref of ARCFACE_REFERENCE) {
      const found = brightest(aligned, ref);
      assert.ok(
        Math.hypot(found[0] - ref[0], found[1] - ref[1]) <= 1.5,
        `dot at ${found} for reference ${ref}`,
      );
    }
    const t = alignmentTransform(five);
    assert.ok(Math.abs(Math.hypot(t.a, t.b) - 1 / scale) < 1e-9);
  });

  it("fills the area outside the image with black", () => {
    const five: Point[] = ARCFACE_REFERENCE.map(([x, y]) => [x - 30, y - 30]);
    const aligned = alignFace(imageWithDots(200, 200, []), five);
    assert.equal(aligned.data[0], 0);
    assert.equal(aligned.data[(111 * 112 + 111) * 3], 40);
  });
});

describe("fivePoints", () => {
  it("takes eye means, nose tip and mouth corner means from 68 points", () => {
    const pts: Point[] = Array.from({ length: 68 }, (_, i) => [i, 2 * i]);
    const five = fivePoints(pts);
    assert.deepEqual(five[0], [38.5, 77]);
    assert.deepEqual(five[1], [44.5, 89]);
    assert.deepEqual(five[2], [30, 60]);
    assert.deepEqual(five[3], [54, 108]);
    assert.deepEqual(five[4], [59, 118]);
    assert.throws(() => fivePoints(pts.slice(1)), /68/);
  });
});
