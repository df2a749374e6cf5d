import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { parseConfig } from "@facetracker/config";
import { samplePhotos } from "@facetracker/samples";
import {
  cropImage,
  DETECTOR_INPUT,
  decodeImage,
  FaceAnalyzer,
  iou,
  loadPixels,
  type RgbImage,
  sceneThumbnail,
} from "@facetracker/vision";
import sharp from "sharp";
import { DetectStage } from "./detect-stage.ts";
import { decodeJpeg, decodeJpegFrame, encodeFrameJpeg, jpegSize } from "./jpeg.ts";

describe("JPEG frames decoded at detection size (shrink-on-load), full pixels on demand", () => {
  let analyzer: FaceAnalyzer;
  let jpeg: Uint8Array;
  let full: RgbImage;

  before(async () => {
    analyzer = await FaceAnalyzer.create({}, { embedder: false });
    // A 1280×720 frame with the sample photo's faces.
    const photo = await decodeImage(samplePhotos()[0] as string);
    const frame = cropImage(photo, [0, 150, 1920, 1230]);
    const { data } = await sharp(frame.data, {
      raw: { width: frame.width, height: frame.height, channels: 3 },
    })
      .resize(1280, 720, { fit: "fill" })
      .raw()
      .toBuffer({ resolveWithObject: true });
    jpeg = await encodeFrameJpeg({ width: 1280, height: 720, data: new Uint8Array(data) });
    full = await decodeJpeg(jpeg);
  });

  it("reads the size from the frame header, for baseline and progressive JPEG", async () => {
    assert.deepEqual(jpegSize(jpeg), { width: 1280, height: 720 });
    const progressive = await sharp(Buffer.from(jpeg)).jpeg({ progressive: true }).toBuffer();
    assert.deepEqual(jpegSize(progressive), { width: 1280, height: 720 });
    assert.equal(jpegSize(new Uint8Array([0xff, 0xd8, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10])), undefined);
  });

  it("has its detection copy at once, its full pixels only once loaded (the same as a full decode)", async () => {
    const frame = await decodeJpegFrame(jpeg);
    assert.deepEqual([frame.width, frame.height], [1280, 720]);
    assert.deepEqual(
      [frame.detectionCopy?.width, frame.detectionCopy?.height],
      [DETECTOR_INPUT.width, DETECTOR_INPUT.height],
    );
    assert.throws(() => frame.data, /not decoded yet: await loadPixels\(frame\) first/);
    // Thumbnails come from the copy: no full decode.
    assert.equal(sceneThumbnail(frame).length, 32 * 18);
    await loadPixels(frame);
    assert.deepEqual(frame.data, full.data);
    await assert.rejects(decodeJpegFrame(new Uint8Array([1, 2, 3])));
  });

  it("finds the same faces on the copy as on the full frame; the full pixels are decoded for crops only", async () => {
    const stage = new DetectStage(analyzer, parseConfig({}));
    const fromFull = await stage.detections(full);
    const frame = await decodeJpegFrame(jpeg);
    const fromCopy = await stage.detections(frame);
    assert.throws(() => frame.data, /not decoded yet/, "whole-frame detection reads the copy alone");
    assert.ok(fromFull.length >= 2, `faces on the full frame: ${fromFull.length}`);
    assert.equal(fromCopy.length, fromFull.length);
    for (const d of fromFull) {
      const best = Math.max(...fromCopy.map((c) => iou(c.box, d.box)));
      assert.ok(best > 0.8, `face ${d.box.map(Math.round)} found on the copy too (IoU ${best.toFixed(2)})`);
    }
    // Landmarks and crops need the full pixels: decoded then.
    const faces = await stage.faces(frame);
    assert.equal(faces.length, fromCopy.length);
    assert.ok(faces.every((f) => f.landmarks.length === 5 && f.alignedRgb.length === 112 * 112 * 3));
    assert.equal(frame.data.length, 1280 * 720 * 3);
  });
});
