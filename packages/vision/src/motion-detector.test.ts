import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RgbImage } from "./image.ts";
import { insidePolygon, MotionDetector, motionThumbnail } from "./motion-detector.ts";

const W = 640;
const H = 360;

/** A textured still background (so motion is measured against something), brightness shifted by `light`. */
function frame(
  light = 0,
  square?: { x: number; y: number; size: number; grey: number },
  noise = 0,
  pan = 0,
): RgbImage {
  const data = new Uint8Array(W * H * 3);
  let seed = 12345;
  for (let y = 0; y < H; y++) {
    for (let px = 0; px < W; px++) {
      const x = px + pan;
      let v = 60 + ((x * 7 + y * 3) % 50) + (((x >> 5) + (y >> 5)) % 2) * 30 + light;
      if (
        square &&
        x >= square.x &&
        x < square.x + square.size &&
        y >= square.y &&
        y < square.y + square.size
      )
        v = square.grey;
      if (noise) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        v += ((seed % (2 * noise + 1)) - noise) | 0;
      }
      const c = Math.max(0, Math.min(255, v));
      data.set([c, c, c], (y * W + px) * 3);
    }
  }
  return { width: W, height: H, data };
}

describe("motion thumbnail", () => {
  it("is about 160 pixels wide with the frame's aspect, and averages grey levels", () => {
    const thumb = motionThumbnail(frame());
    assert.equal(thumb.width, 160);
    assert.equal(thumb.height, 90);
    assert.deepEqual([thumb.frameWidth, thumb.frameHeight], [W, H]);
    const flat = motionThumbnail({ width: 64, height: 32, data: new Uint8Array(64 * 32 * 3).fill(100) });
    assert.equal(flat.width, 64, "never wider than the frame");
    assert.ok(flat.data.every((v) => v === 100));
  });
});

describe("MotionDetector", () => {
  it("finds nothing on the first frame nor on still frames with camera noise", () => {
    const m = new MotionDetector();
    assert.equal(m.update(motionThumbnail(frame(0, undefined, 6))).first, true);
    for (let i = 0; i < 10; i++) {
      const r = m.update(motionThumbnail(frame(0, undefined, 6)));
      assert.deepEqual(r.regions, [], `still frame ${i}`);
      assert.equal(r.global, false);
    }
  });

  it("finds a square that moves, where it is, and not one that is too small", () => {
    const m = new MotionDetector({ minArea: 400 });
    m.update(motionThumbnail(frame()));
    const r = m.update(motionThumbnail(frame(0, { x: 300, y: 100, size: 60, grey: 250 })));
    assert.equal(r.regions.length, 1);
    const [x1, y1, x2, y2] = r.regions[0] as [number, number, number, number];
    assert.ok(x1 <= 300 && y1 <= 100 && x2 >= 360 && y2 >= 160, `region ${r.regions[0]} holds the square`);
    assert.ok(x2 - x1 < 100 && y2 - y1 < 100, `region ${r.regions[0]} is tight`);

    const small = new MotionDetector({ minArea: 400 });
    small.update(motionThumbnail(frame()));
    assert.deepEqual(
      small.update(motionThumbnail(frame(0, { x: 300, y: 100, size: 12, grey: 250 }))).regions,
      [],
    );
  });

  it("takes a slow lighting ramp and a sudden brightness step as no motion", () => {
    const m = new MotionDetector();
    m.update(motionThumbnail(frame(0)));
    for (let light = 1; light <= 60; light++) {
      assert.deepEqual(m.update(motionThumbnail(frame(light))).regions, [], `light +${light}`);
    }
    const step = m.update(motionThumbnail(frame(100)));
    assert.deepEqual(step.regions, []);
    // A square moving under the new light is still motion.
    assert.equal(
      m.update(motionThumbnail(frame(100, { x: 100, y: 100, size: 60, grey: 20 }))).regions.length,
      1,
    );
  });

  it("reports a change of most of the picture (the camera turned) as global and starts again from it", () => {
    const m = new MotionDetector();
    m.update(motionThumbnail(frame()));
    const r = m.update(motionThumbnail(frame(0, undefined, 0, 32)));
    assert.equal(r.global, true);
    assert.deepEqual(m.update(motionThumbnail(frame(0, undefined, 0, 32))).regions, []);
  });

  it("ignores motion inside a mask", () => {
    const mask: [number, number][] = [
      [250, 50],
      [450, 50],
      [450, 250],
      [250, 250],
    ];
    const m = new MotionDetector({ masks: [mask] });
    m.update(motionThumbnail(frame()));
    assert.deepEqual(
      m.update(motionThumbnail(frame(0, { x: 300, y: 100, size: 60, grey: 250 }))).regions,
      [],
    );
    assert.equal(
      m.update(motionThumbnail(frame(0, { x: 40, y: 100, size: 60, grey: 250 }))).regions.length,
      1,
      "outside the mask it counts",
    );
  });

  it("absorbs a square that stops into the background", () => {
    const m = new MotionDetector();
    m.update(motionThumbnail(frame()));
    const still = frame(0, { x: 300, y: 100, size: 60, grey: 250 });
    assert.equal(m.update(motionThumbnail(still)).regions.length, 1);
    let frames = 1;
    while (m.update(motionThumbnail(still)).regions.length > 0) frames++;
    assert.ok(frames < 200, `still motion after ${frames} frames`);
  });

  it("insidePolygon", () => {
    const square: [number, number][] = [
      [0, 0],
      [10, 0],
      [10, 10],
      [0, 10],
    ];
    assert.equal(insidePolygon(5, 5, square), true);
    assert.equal(insidePolygon(15, 5, square), false);
  });
});
