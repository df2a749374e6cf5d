import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { resolveFile } from "@facetracker/models";
import sharp from "sharp";
import { cosine } from "./embedder.ts";
import { FaceAnalyzer } from "./face-analyzer.ts";
import type { Point } from "./geometry.ts";
import { cropImage, decodeImage, type RgbImage } from "./image.ts";

// Real models on the registry-shipped sample photos (models:install puts them in models/files/samples).
describe("FaceAnalyzer on sample photos (real models)", () => {
  let analyzer: FaceAnalyzer;
  let sample1: RgbImage;
  before(async () => {
    analyzer = await FaceAnalyzer.create({ threads: 1 });
    sample1 = await decodeImage(resolveFile("sample1"));
  });

  it("finds the three faces of sample1 with confident, plausible boxes", async () => {
    const faces = await analyzer.analyze(sample1);
    assert.equal(faces.length, 3);
    for (const f of faces) {
      const [x1, y1, x2, y2] = f.box;
      assert.ok(f.score > 0.9, `score ${f.score}`);
      assert.ok(x2 - x1 > 100 && y2 - y1 > 100 && x2 - x1 < 400, `box ${f.box}`);
      assert.ok((y2 - y1) / (x2 - x1) > 0.8 && (y2 - y1) / (x2 - x1) < 1.6, `aspect of ${f.box}`);
    }
  });

  it("gives concurrent calls the same faces as calls one at a time (onnxruntime runs asynchronously)", async () => {
    const sample2 = await decodeImage(resolveFile("sample2"));
    const alone = [await analyzer.analyze(sample1), await analyzer.analyze(sample2)];
    const together = await Promise.all([
      analyzer.analyze(sample1),
      analyzer.analyze(sample2),
      analyzer.analyze(sample1),
    ]);
    const summary = (faces: Awaited<ReturnType<FaceAnalyzer["analyze"]>>) =>
      faces.map((f) => [f.box.map(Math.round), Array.from(f.embedding ?? []).slice(0, 4)]);
    assert.deepEqual(summary(together[0] ?? []), summary(alone[0] ?? []));
    assert.deepEqual(summary(together[1] ?? []), summary(alone[1] ?? []));
    assert.deepEqual(summary(together[2] ?? []), summary(alone[0] ?? []));
  });

  it("places the five landmarks inside the face in anatomical order", async () => {
    for (const f of await analyzer.analyze(sample1, { embed: false })) {
      const [le, re, nose, lm, rm] = f.landmarks as [Point, Point, Point, Point, Point];
      for (const [x, y] of f.landmarks) {
        assert.ok(
          x >= f.box[0] && x <= f.box[2] && y >= f.box[1] && y <= f.box[3],
          `point ${x},${y} outside ${f.box}`,
        );
      }
      assert.ok(le[0] < re[0], "left eye left of right eye");
      assert.ok(lm[0] < rm[0], "left mouth corner left of right");
      assert.ok(nose[1] > (le[1] + re[1]) / 2, "nose below the eyes");
      assert.ok((lm[1] + rm[1]) / 2 > nose[1], "mouth below the nose");
      assert.equal(f.embedding, undefined);
    }
  });

  it("returns L2-normalised 512-d embeddings", async () => {
    const [f] = await analyzer.analyze(sample1, { largestOnly: true });
    assert.ok(f?.embedding);
    assert.equal(f.embedding.length, 512);
    const norm = Math.hypot(...f.embedding);
    assert.ok(Math.abs(norm - 1) < 1e-4, `norm ${norm}`);
  });

  it("finds no face in a picture without one", async () => {
    const { data, info } = await sharp({
      create: { width: 640, height: 480, channels: 3, background: "#4a6b8a" },
    })
      .raw()
      .toBuffer({ resolveWithObject: true });
    const faces = await analyzer.analyze({
      width: info.width,
      height: info.height,
      data: new Uint8Array(data),
    });
    assert.equal(faces.length, 0);
  });

  it("matches a mirrored, rescaled copy of each face to that face and not to the others", async () => {
    const faces = await analyzer.analyze(sample1);
    for (const [i, face] of faces.entries()) {
      const [x1, y1, x2, y2] = face.box;
      const m = 0.6 * (x2 - x1);
      const crop = cropImage(sample1, [x1 - m, y1 - m, x2 + m, y2 + m]);
      const variant = await decodeImage(
        await sharp(crop.data, { raw: { width: crop.width, height: crop.height, channels: 3 } })
          .flop()
          .resize({ width: Math.round(crop.width * 0.6) })
          .modulate({ brightness: 0.8 })
          .jpeg({ quality: 80 })
          .toBuffer(),
      );
      const [other] = await analyzer.analyze(variant, { largestOnly: true });
      assert.ok(other?.embedding, `face ${i} found again in its variant`);
      const sims = faces.map((f) => cosine(f.embedding as Float32Array, other.embedding as Float32Array));
      const best = sims.indexOf(Math.max(...sims));
      assert.equal(best, i, `similarities ${sims.map((s) => s.toFixed(3))}`);
      assert.ok((sims[i] as number) > 0.5, `self similarity ${sims[i]}`);
      for (const [j, s] of sims.entries()) if (j !== i) assert.ok(s < 0.3, `similarity to face ${j}: ${s}`);
    }
  });

  it("accumulates per-stage times", () => {
    for (const stage of ["detect", "landmarks", "align", "embed"] as const)
      assert.ok(analyzer.times[stage] > 0, stage);
  });
});
