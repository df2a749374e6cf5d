import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { resolveFile } from "@facetracker/models";
import sharp from "sharp";
import { FaceAnalyzer } from "./face-analyzer.ts";
import {
  alignedSharpness,
  assessFaceQuality,
  DEFAULT_FACE_QUALITY,
  facePose,
  landmarkImplausibility,
  landmarkJitter,
  NON_FACE_PROTOTYPE,
  nonFaceSimilarity,
} from "./face-quality.ts";
import type { Box, Point } from "./geometry.ts";
import { decodeImage, type RgbImage } from "./image.ts";

/** A frontal face's 5 points (the ArcFace reference scaled ×2, the nose where our landmark model puts it). */
const frontal: Point[] = [
  [76.6, 103.4],
  [147.1, 103],
  [112, 150],
  [83.1, 184.7],
  [141.5, 184.4],
];
const frontalBox: Box = [40, 50, 184, 230];

async function blurred(image: RgbImage, sigma: number): Promise<RgbImage> {
  const { data, info } = await sharp(image.data, {
    raw: { width: image.width, height: image.height, channels: 3 },
  })
    .blur(sigma)
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data) };
}

describe("face quality signals (pure)", () => {
  it("a frontal landmark set reads as frontal: yaw, pitch and roll near 0, geometry plausible", () => {
    const pose = facePose(frontal);
    assert.ok(
      Math.abs(pose.yaw) < 3 && Math.abs(pose.pitch) < 5 && Math.abs(pose.roll) < 1,
      JSON.stringify(pose),
    );
    assert.equal(landmarkImplausibility(frontal), 0);
    const q = assessFaceQuality({ box: frontalBox, score: 0.99, landmarks: frontal });
    assert.deepEqual([q.good, q.faceLike, q.reasons], [true, true, []]);
  });

  it("a profile-like landmark set (the nose past one eye) is flagged 'profile'", () => {
    const profile: Point[] = frontal.map((p, i) => (i === 2 ? [p[0] + 45, p[1]] : p));
    const pose = facePose(profile);
    assert.ok(pose.yaw > DEFAULT_FACE_QUALITY.max_yaw, `yaw ${pose.yaw}`);
    const q = assessFaceQuality({ box: frontalBox, score: 0.99, landmarks: profile });
    assert.deepEqual([q.good, q.reasons], [false, ["profile"]]);
    assert.equal(q.faceLike, true, "a profile is still a human face");
  });

  it("a rotated face keeps its yaw and pitch and reports the roll", () => {
    const a = (30 * Math.PI) / 180;
    const turned = frontal.map(
      ([x, y]): Point => [
        112 + (x - 112) * Math.cos(a) - (y - 140) * Math.sin(a),
        140 + (x - 112) * Math.sin(a) + (y - 140) * Math.cos(a),
      ],
    );
    const pose = facePose(turned);
    assert.ok(Math.abs(pose.roll - 30) < 1, `roll ${pose.roll}`);
    assert.ok(Math.abs(pose.yaw) < 3 && Math.abs(pose.pitch) < 5, JSON.stringify(pose));
  });

  it("a small face is flagged 'too small' (eye distance below the bar), a big one is not", () => {
    const small = frontal.map(([x, y]): Point => [x / 8, y / 8]);
    const q = assessFaceQuality({ box: [5, 6, 23, 29], score: 0.99, landmarks: small });
    assert.ok(q.signals.eyeDistance < DEFAULT_FACE_QUALITY.min_eye_distance);
    assert.deepEqual(q.reasons, ["too small"]);
    assert.ok(q.score < assessFaceQuality({ box: frontalBox, score: 0.99, landmarks: frontal }).score);
  });

  it("landmarks without a face's geometry (mouth above the eyes) are implausible: no human face", () => {
    const upsideDown: Point[] = frontal.map(([x, y]) => [x, 280 - y]);
    assert.ok(landmarkImplausibility(upsideDown) >= 1);
    const q = assessFaceQuality({ box: frontalBox, score: 0.99, landmarks: upsideDown });
    assert.ok(q.reasons.includes("implausible landmarks"));
    assert.equal(q.faceLike, false);
  });

  it("landmarks jumping within the box between two faces of a track are 'unsteady'", () => {
    const moved: Point[] = frontal.map(([x, y]) => [x + 60, y + 40]);
    assert.equal(
      landmarkJitter({ box: frontalBox, landmarks: frontal }, { box: frontalBox, landmarks: frontal }),
      0,
    );
    const q = assessFaceQuality({
      box: frontalBox,
      score: 0.99,
      landmarks: frontal,
      previous: { box: frontalBox, landmarks: moved },
    });
    assert.ok(q.reasons.includes("unsteady landmarks"), q.reasons.join());
  });

  it("an embedding at the non-face prototype is 'not a face'; one of another length is not judged", () => {
    const q = assessFaceQuality({
      box: frontalBox,
      score: 0.99,
      landmarks: frontal,
      embedding: Float32Array.from(NON_FACE_PROTOTYPE),
      embeddingNorm: 3,
    });
    assert.deepEqual([q.faceLike, q.reasons], [false, ["not a face"]]);
    assert.equal(nonFaceSimilarity(new Float32Array(8)), null);
  });

  it("with the gate disabled every face is good and face-like (signals still measured)", () => {
    const small = frontal.map(([x, y]): Point => [x / 8, y / 8]);
    const q = assessFaceQuality({ box: [5, 6, 23, 29], score: 0.2, landmarks: small }, { enabled: false });
    assert.deepEqual([q.good, q.faceLike, q.reasons], [true, true, []]);
    assert.ok(q.signals.eyeDistance < 14);
  });
});

// Real models on the registry-shipped sample photos (models:install puts them in models/files/samples).
describe("face quality on real faces (sample photos, real models)", () => {
  let analyzer: FaceAnalyzer;
  let sample1: RgbImage;
  before(async () => {
    analyzer = await FaceAnalyzer.create({ threads: 1 });
    sample1 = await decodeImage(resolveFile("sample1"));
  });

  it("the faces of sample1 are good, human faces; a blurred copy of the photo scores lower and is 'blurred'", async () => {
    const faces = await analyzer.analyze(sample1, { embed: false });
    assert.ok(faces.length >= 1);
    const soft = await blurred(sample1, 6);
    for (const face of faces) {
      const { embedding, norm } = await analyzer.embedder.embedWithNorm(face.aligned);
      const sharp = assessFaceQuality({ ...face, embedding, embeddingNorm: norm });
      assert.deepEqual([sharp.good, sharp.faceLike], [true, true], JSON.stringify(sharp.signals));
      // The same face (same box and landmarks) cut from the blurred photo.
      const [copy] = await analyzer
        .analyze(soft, { embed: false, scoreThreshold: 0.1 })
        .then((found) =>
          found.filter((f) => Math.abs(f.box[0] - face.box[0]) < 30 && Math.abs(f.box[1] - face.box[1]) < 30),
        );
      assert.ok(copy, "the blurred face is still detected");
      const soft2 = await analyzer.embedder.embedWithNorm(copy.aligned);
      const blur = assessFaceQuality({ ...copy, embedding: soft2.embedding, embeddingNorm: soft2.norm });
      assert.ok(
        (blur.signals.sharpness as number) < (sharp.signals.sharpness as number) / 2,
        `sharpness ${blur.signals.sharpness} vs ${sharp.signals.sharpness}`,
      );
      assert.ok(blur.score < sharp.score, `score ${blur.score} vs ${sharp.score}`);
      assert.ok(blur.reasons.includes("blurred"), blur.reasons.join());
    }
  });

  it("sharpness measures detail, not contrast: a darker copy of a crop keeps its sharpness", () => {
    const crop: RgbImage = { width: 112, height: 112, data: new Uint8Array(112 * 112 * 3) };
    for (let i = 0; i < crop.data.length; i++) crop.data[i] = ((i / 3) % 7) * 30;
    const darker = { ...crop, data: crop.data.map((v) => v / 2) };
    assert.ok(Math.abs(alignedSharpness(darker) - alignedSharpness(crop)) < 0.05 * alignedSharpness(crop));
  });
});
